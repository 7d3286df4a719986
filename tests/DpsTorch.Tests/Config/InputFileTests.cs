using System.Diagnostics;
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Config;

public class InputFileTests
{
    [SkippableFact]
    public void OpenRead_RefusesACharacterDevice_Immediately()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero on this system");
        var ex = Assert.Throws<ConfigException>(() => InputFile.OpenRead("demand.path", "/dev/zero", InputKind.DemandCsv));
        Assert.Equal("demand.path", ex.Key);
        Assert.Contains("/dev/zero", ex.Message);
        Assert.Contains("character device", ex.Message);
    }

    [SkippableFact]
    public void OpenRead_RefusesAFifo_WithoutHanging()
    {
        Skip.If(OperatingSystem.IsWindows(), "no FIFOs on Windows");
        using var dir = new TempDir();
        string fifo = dir.File("pipe");
        using (var p = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { RedirectStandardError = true })!) p.WaitForExit();
        Skip.IfNot(File.Exists(fifo), "mkfifo is not available");
        var open = Task.Run(() => Assert.Throws<ConfigException>(() => InputFile.OpenRead("topology.path", fifo, InputKind.EdgeList)));
        Assert.True(open.Wait(TimeSpan.FromSeconds(10)), "opening a FIFO must be refused, not block");
        Assert.Contains("FIFO", open.Result.Message);
        Assert.Contains("topology.path", open.Result.Message);
    }

    [Fact]
    public void OpenRead_RefusesAFolder_AndAMissingFile_NamingKeyAndPath()
    {
        using var dir = new TempDir();
        var folder = Assert.Throws<ConfigException>(() => InputFile.OpenRead("demand.path", dir.Path, InputKind.DemandCsv));
        Assert.Contains("folder", folder.Message);
        Assert.Contains(dir.Path, folder.Message);
        var missing = Assert.Throws<ConfigException>(() => InputFile.OpenRead("demand.path", dir.File("none.csv"), InputKind.DemandCsv));
        Assert.Contains("not found", missing.Message);
    }

    [Fact]
    public void OpenRead_RefusesAFileAboveTheCap_BeforeReading()
    {
        using var dir = new TempDir();
        string path = dir.File("d.csv");
        File.WriteAllText(path, "1\n2\n3\n");
        var ex = Assert.Throws<ConfigException>(() => InputFile.OpenRead("demand.path", path, 5));
        Assert.Contains("6 bytes", ex.Message);
        Assert.Contains("5 allowed", ex.Message);
        using var ok = InputFile.OpenRead("demand.path", path, 6);
        Assert.Equal((byte)'1', ok.ReadByte());
    }

    [SkippableFact]
    public void Read_StopsAtTheCap_WhenTheFileSaysItIsSmaller()
    {
        // /proc files report a size of 0 but hold text: the cap must hold while reading, not only at the size check.
        Skip.IfNot(File.Exists("/proc/self/maps"), "no /proc on this system");
        using var s = InputFile.OpenRead("x", "/proc/self/maps", 16);
        var ex = Assert.Throws<ConfigException>(() => new StreamReader(s).ReadToEnd());
        Assert.Contains("more than the 16 bytes", ex.Message);
    }

    [Fact]
    public void EveryKind_HasADocumentedCap()
    {
        foreach (var kind in Enum.GetValues<InputKind>()) Assert.InRange(InputFile.MaxBytes(kind), 1L << 20, 4L << 30);
    }

    [SkippableFact]
    public void Config_WithDevZeroAsDemandPath_IsRefusedAtLoad()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero on this system");
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "demand": { "kind": "histogram", "path": "/dev/zero" } }"""));
        Assert.Equal("demand.path", ex.Key);
    }

    [Fact]
    public void EdgeList_AboveMaxEdges_IsRefusedWhileStreaming()
    {
        using var dir = new TempDir();
        string path = dir.File("g.txt");
        File.WriteAllText(path, "0 1\n1 2\n2 3\n3 4\n4 5\n");
        var ex = Assert.Throws<ConfigException>(() => Topology.FromEdgeListFile(path, n: 6, maxEdges: 3));
        Assert.Equal("topology.path", ex.Key);
        Assert.Contains("more than the 3 edges", ex.Message);
        Assert.Contains("line 4", ex.Message);
        Assert.Equal(5, Topology.FromEdgeListFile(path, n: 6, maxEdges: 5).EdgeCount);
    }
}
