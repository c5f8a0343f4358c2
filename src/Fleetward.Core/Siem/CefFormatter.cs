using System.Globalization;
using System.Text;
using Fleetward.Core.Detection;

namespace Fleetward.Core.Siem;

/// <summary>
/// ArcSight Common Event Format for SIEMs that do not read OCSF:
/// <c>CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension</c>. Header fields escape '\' and '|';
/// extension values escape '\', '=' and line breaks.
/// </summary>
public static class CefFormatter
{
    public static string Format(OcsfProduct product, DetectionFinding finding)
    {
        var sb = new StringBuilder(256);
        sb.Append("CEF:0|").Append(Header(product.VendorName)).Append('|').Append(Header(product.Name)).Append('|')
          .Append(Header(product.Version)).Append('|').Append(Header(finding.Cause + "/" + finding.Signal)).Append('|')
          .Append(Header(finding.Summary)).Append('|').Append(Severity(finding.Severity).ToString(CultureInfo.InvariantCulture)).Append('|');
        sb.Append("rt=").Append(finding.DetectedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        sb.Append(" start=").Append(finding.FirstAnomalousAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        sb.Append(" dvchost=").Append(Extension(finding.DeviceId));
        sb.Append(" cat=").Append(Extension(finding.Cause));
        sb.Append(" msg=").Append(Extension(string.Join("; ", finding.Evidence.Select(e => $"{e.Name}={e.Value}"))));
        return sb.ToString();
    }

    /// <summary>CEF severity 0-10: Low 3, Medium 5, High 8, Critical 10.</summary>
    public static int Severity(DetectionSeverity severity) => severity switch
    {
        DetectionSeverity.Critical => 10,
        DetectionSeverity.High => 8,
        DetectionSeverity.Medium => 5,
        DetectionSeverity.Low => 3,
        _ => 1,
    };

    private static string Header(string value) => value.Replace("\\", "\\\\").Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

    private static string Extension(string value) =>
        value.Replace("\\", "\\\\").Replace("=", "\\=").Replace("\r\n", "\\n").Replace("\n", "\\n").Replace("\r", "\\r");
}
