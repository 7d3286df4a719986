// Reads the GNU version requirements (.gnu.version_r) of an ELF64 little-endian shared library: enough to tell
// whether libLibTorchSharp.so still insists on a libstdc++ version the system lacks (the Debian 12 case of issue 17),
// so the CLI and the tests can say why libtorch does not load. build/WeakenElfVersionNeed.cs writes the fix; it is
// compiled by MSBuild against netstandard2.0, so it carries its own copy of this walk.
using System.Text;

namespace DpsTorch.TorchSharp;

/// <summary>Version requirements of a shared library.</summary>
public static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    /// <summary>VER_FLG_WEAK: a missing version is tolerated by the loader.</summary>
    public const ushort WeakFlag = 2;

    /// <summary>Flags of the requirement of <paramref name="version"/> in <paramref name="path"/>, or null when it is not required.</summary>
    public static ushort? Flags(string path, string version)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F' || b[4] != 2 || b[5] != 1) return null;
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)(shoff + (long)s * shentsize));
            if (BitConverter.ToUInt32(b, sh + 4) != ShtGnuVerneed) continue;
            int vn = checked((int)BitConverter.ToInt64(b, sh + 24));
            int link = (int)BitConverter.ToUInt32(b, sh + 40), count = (int)BitConverter.ToUInt32(b, sh + 44);
            int strtab = checked((int)BitConverter.ToInt64(b, checked((int)(shoff + (long)link * shentsize + 24))));
            for (int i = 0; i < count; i++)
            {
                int auxCount = BitConverter.ToUInt16(b, vn + 2);
                int aux = vn + (int)BitConverter.ToUInt32(b, vn + 8);
                for (int k = 0; k < auxCount; k++)
                {
                    int name = strtab + (int)BitConverter.ToUInt32(b, aux + 8);
                    int end = Array.IndexOf(b, (byte)0, name);
                    if (Encoding.ASCII.GetString(b, name, end - name) == version) return BitConverter.ToUInt16(b, aux + 4);
                    aux += (int)BitConverter.ToUInt32(b, aux + 12);
                }
                vn += (int)BitConverter.ToUInt32(b, vn + 12);
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="path"/> requires <paramref name="version"/> without the weak flag.</summary>
    public static bool RequiresStrongly(string path, string version) => Flags(path, version) is ushort f && (f & WeakFlag) == 0;

    /// <summary>The system's libstdc++.so.6 (the one the build step checks).</summary>
    public const string SystemLibStdCxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

    /// <summary>Whether the system libstdc++ defines <paramref name="version"/> (false when it is not where Debian puts it).</summary>
    public static bool SystemLibStdCxxHas(string version)
        => File.Exists(SystemLibStdCxx) && File.ReadAllBytes(SystemLibStdCxx).AsSpan().IndexOf(Encoding.ASCII.GetBytes(version)) >= 0;
}
