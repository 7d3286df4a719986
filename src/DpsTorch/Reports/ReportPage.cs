// Placeholder for the run report (report.html): a plain page listing summary.json's numbers. The full page with
// figures replaces this file; the API (Build, Write) stays the same.
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.IO;

namespace DpsTorch.Reports;

/// <summary>Builds report.html from a run folder's saved files.</summary>
public static class ReportPage
{
    /// <summary>The page for the run in <paramref name="runDir"/> (reads summary.json).</summary>
    public static string Build(string runDir)
    {
        string path = Path.Combine(runDir, RunFiles.Summary);
        if (!File.Exists(path)) throw new ConfigException(path, "summary file not found; is this a run folder?");
        JsonObject summary;
        try { summary = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ConfigException(path, "not a JSON object."); }
        catch (JsonException e) { throw new ConfigException(path, $"not valid JSON ({e.Message.Split(". ")[0]})."); }

        var html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>DpsTorch run</title></head>\n<body>\n");
        html.Append("<h1>DpsTorch run: ").Append(WebUtility.HtmlEncode(Path.GetFileName(Path.GetFullPath(runDir)))).Append("</h1>\n<table>\n");
        foreach (var (key, value) in summary)
            if (value is JsonValue v && v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.String)
                html.Append("<tr><th>").Append(WebUtility.HtmlEncode(key)).Append("</th><td>").Append(WebUtility.HtmlEncode(v.ToJsonString().Trim('"'))).Append("</td></tr>\n");
        return html.Append("</table>\n</body>\n</html>\n").ToString();
    }

    /// <summary>Writes report.html into <paramref name="runDir"/> atomically.</summary>
    public static void Write(string runDir) => AtomicFile.WriteAllText(Path.Combine(runDir, RunFiles.Report), Build(runDir));
}
