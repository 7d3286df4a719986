// The MSBuild task behind LibTorchSharpLoadFix.targets: marks one GNU symbol-version requirement of an ELF64
// little-endian shared library weak (VER_FLG_WEAK = 2 in its Elf64_Vernaux), so the dynamic loader accepts a system
// library that lacks that version. Runs only when the system library does not define the version and the target
// library asks for it; writes a temporary copy and renames it over the file (the output may be a hard link into the
// package cache, which must stay as it is). Compiled by MSBuild's RoslynCodeTaskFactory against netstandard2.0.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class DpsWeakenElfVersionNeed : Task
{
    [Required] public string Library { get; set; } = "";
    [Required] public string SystemLibrary { get; set; } = "";
    [Required] public string Version { get; set; } = "";

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 2;

    public override bool Execute()
    {
        if (!File.Exists(Library)) return true;
        if (File.Exists(SystemLibrary) && Contains(File.ReadAllBytes(SystemLibrary), Version))
        {
            Log.LogMessage(MessageImportance.Low, $"{SystemLibrary} defines {Version}; {Library} left as it is.");
            return true;
        }
        var bytes = File.ReadAllBytes(Library);
        long at = FindNeed(bytes, Version);
        if (at < 0) return true;
        ushort flags = BitConverter.ToUInt16(bytes, (int)at + 4);
        if ((flags & VerFlagWeak) != 0) return true;
        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(bytes, (int)at + 4);
        string tmp = Library + ".dps-patching";
        File.WriteAllBytes(tmp, bytes);
        File.Delete(Library);
        File.Move(tmp, Library);
        Log.LogMessage(MessageImportance.High,
            $"DpsTorch.TorchSharp: {SystemLibrary} lacks {Version}; marked that requirement of {Path.GetFileName(Library)} weak in the output copy so it loads.");
        return true;
    }

    /// <summary>File offset of the Elf64_Vernaux naming <paramref name="version"/>, or -1 (not ELF64 LE, or not needed).</summary>
    private static long FindNeed(byte[] b, string version)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1) return -1;
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(b, (int)sh + 24);
            int link = (int)BitConverter.ToUInt32(b, (int)sh + 40), count = (int)BitConverter.ToUInt32(b, (int)sh + 44);
            long strtab = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize + 24));
            long vn = offset;
            for (int i = 0; i < count; i++)
            {
                int auxCount = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int k = 0; k < auxCount; k++)
                {
                    long name = strtab + BitConverter.ToUInt32(b, (int)aux + 8);
                    int end = Array.IndexOf(b, (byte)0, (int)name);
                    if (Encoding.ASCII.GetString(b, (int)name, end - (int)name) == version) return aux;
                    aux += BitConverter.ToUInt32(b, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(b, (int)vn + 12);
            }
        }
        return -1;
    }

    private static bool Contains(byte[] haystack, string needle)
    {
        var n = Encoding.ASCII.GetBytes(needle);
        for (int i = Array.IndexOf(haystack, n[0]); i >= 0 && i <= haystack.Length - n.Length; i = Array.IndexOf(haystack, n[0], i + 1))
        {
            int k = 1;
            while (k < n.Length && haystack[i + k] == n[k]) k++;
            if (k == n.Length) return true;
        }
        return false;
    }
}
