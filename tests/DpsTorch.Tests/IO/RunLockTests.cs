// The folder lock (one holder at a time, the holder's pid readable by the others, released on dispose) and the
// commit record (accepted when whole, refused when unfinished or when a listed file changed).
using DpsTorch.Config;
using DpsTorch.IO;

namespace DpsTorch.Tests.IO;

public class RunLockTests
{
    [Fact]
    public void Lock_HasOneHolder_NamesItsPid_AndIsFreeAgainAfterDispose()
    {
        using var dir = new TempDir();
        using (var first = RunLock.TryAcquire(dir.Path, "first", out _))
        {
            Assert.NotNull(first);
            Assert.Null(RunLock.TryAcquire(dir.Path, "second", out string holder));
            Assert.Contains($"pid {Environment.ProcessId}", holder);
            Assert.Contains("first", holder);
            var e = Assert.Throws<ConfigException>(() => RunLock.Acquire(dir.Path, "second"));
            Assert.Contains(dir.Path, e.Message);
        }
        using var again = RunLock.TryAcquire(dir.Path, "again", out _);
        Assert.NotNull(again);
    }

    [Fact]
    public void Commit_IsAcceptedWhole_AndRefusedWhenUnfinishedOrAFileChanged()
    {
        using var dir = new TempDir();
        string staging = Path.Combine(dir.Path, ".staging-test");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "a.json"), "new a");
        File.WriteAllText(Path.Combine(staging, "b.html"), "page");
        File.WriteAllText(dir.File("a.json"), "old a");

        ResultCommit.Commit(staging, dir.Path, ["b.html", "a.json"], ["a.json"]);

        Assert.Equal("new a", File.ReadAllText(dir.File("a.json")));
        Assert.Empty(Directory.GetFiles(staging));
        ResultCommit.Check(dir.Path);
        Assert.True(ResultCommit.Lists(dir.Path, "a.json"));
        File.WriteAllText(dir.File("b.html"), "rebuilt page"); // not listed: dps report may rewrite it
        ResultCommit.Check(dir.Path);

        File.WriteAllText(dir.File("a.json"), "other a");
        Assert.Contains("a.json", Assert.Throws<ConfigException>(() => ResultCommit.Check(dir.Path)).Message);
        ResultCommit.Check(dir.Path, "b.html"); // only the named file is checked
        Assert.False(ResultCommit.Lists(dir.Path, "a.json"));

        File.WriteAllText(dir.File(ResultCommit.RecordFile), """{ "format": "dps-commit/1", "state": "writing", "run": "x" }""");
        Assert.Contains("incomplete", Assert.Throws<ConfigException>(() => ResultCommit.Check(dir.Path, "b.html")).Message);
        File.WriteAllText(dir.File(ResultCommit.RecordFile), "{ not json");
        Assert.Contains("not readable", Assert.Throws<ConfigException>(() => ResultCommit.Check(dir.Path)).Message);
    }

    [Fact]
    public void Check_OfAFolderWithoutARecord_Accepts() // folders written before the record existed, and sweep runs
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("summary.json"), "{}");
        ResultCommit.Check(dir.Path);
    }
}
