using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Server.Options;

/// <summary>
/// What the host needs to start: where each listener binds and with which TLS identity. Checked by
/// <see cref="Validate"/> before anything binds, so a bad setting fails with the option's name
/// instead of a socket error later.
/// </summary>
public sealed class ServerOptions
{
    public static readonly Uri DefaultOperatorUrl = new("https://127.0.0.1:8443");
    public static readonly Uri DefaultDeviceUrl = new("https://127.0.0.1:8444");

    /// <summary>HTTPS URL of the operator listener (API, operations, dashboard). Port 0 picks a free port.</summary>
    public Uri OperatorUrl { get; init; } = DefaultOperatorUrl;

    /// <summary>HTTPS URL of the device listener (mutual TLS). Port 0 picks a free port.</summary>
    public Uri DeviceUrl { get; init; } = DefaultDeviceUrl;

    /// <summary>Certificate with private key served on the operator listener.</summary>
    public X509Certificate2? OperatorCertificate { get; init; }

    /// <summary>Certificate with private key served on the device listener; the operator certificate when unset.</summary>
    public X509Certificate2? DeviceServerCertificate { get; init; }

    /// <summary>Intermediate CA certificates sent with <see cref="DeviceServerCertificate"/> (the device CA's issuing certificate), so devices need only the root.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? DeviceServerCertificateChain { get; init; }

    /// <summary>How stale a token's last-used time may get before a request rewrites it (bounds write load).</summary>
    public TimeSpan TokenLastUsedResolution { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long /readyz waits for the store before reporting not ready.</summary>
    public TimeSpan ReadinessTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Signs the audit log's checkpoints (C2SP tlog-checkpoint); its key name is the log's origin. Without it the log still records, but no checkpoint is signed.</summary>
    public Fleetward.Trust.Notes.INoteSigner? AuditLogSigner { get; init; }

    /// <summary>How often a checkpoint is signed, when the audit log has grown since the last one.</summary>
    public TimeSpan AuditCheckpointInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a device ordered back by an aborted rollout may stay silent before it counts as rollback-unresponsive.</summary>
    public TimeSpan RolloutRollbackTimeout { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The data directory the server runs from (areas keep their files under it, e.g. the update repository's keys and artifacts); null for a server without one (tests).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Returns one message per invalid option, each naming the option; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var operatorEndPoint = CheckUrl(nameof(OperatorUrl), OperatorUrl, errors);
        var deviceEndPoint = CheckUrl(nameof(DeviceUrl), DeviceUrl, errors);
        if (operatorEndPoint is not null && deviceEndPoint is not null && operatorEndPoint.Port != 0
            && operatorEndPoint.Port == deviceEndPoint.Port)
        {
            errors.Add($"{nameof(DeviceUrl)}: the device listener needs its own port; {DeviceUrl} uses the operator listener's port {operatorEndPoint.Port}.");
        }
        CheckCertificate(nameof(OperatorCertificate), OperatorCertificate, required: true, errors);
        CheckCertificate(nameof(DeviceServerCertificate), DeviceServerCertificate, required: false, errors);
        if (TokenLastUsedResolution < TimeSpan.Zero)
        {
            errors.Add($"{nameof(TokenLastUsedResolution)}: must not be negative.");
        }
        if (AuditCheckpointInterval <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(AuditCheckpointInterval)}: must be positive.");
        }
        if (RolloutRollbackTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(RolloutRollbackTimeout)}: must be positive.");
        }
        if (ReadinessTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(ReadinessTimeout)}: must be positive.");
        }
        return errors;
    }

    /// <summary>Throws <see cref="ServerOptionsException"/> listing every invalid option.</summary>
    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ServerOptionsException(errors);
        }
    }

    /// <summary>Turns a listener URL into the endpoint to bind: an IP literal, <c>localhost</c> (IPv4 loopback) or <c>*</c>/<c>0.0.0.0</c> (all interfaces).</summary>
    public static bool TryGetEndPoint(Uri url, out IPEndPoint endPoint, out string error)
    {
        endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        error = "";
        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttps)
        {
            error = $"must be an absolute https:// URL, got '{url.OriginalString}'.";
            return false;
        }
        if (url.AbsolutePath != "/" || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
        {
            error = $"must not carry a path, query or fragment, got '{url.OriginalString}'.";
            return false;
        }
        IPAddress address;
        var host = url.Host.Trim('[', ']');
        if (host is "localhost")
        {
            address = IPAddress.Loopback;
        }
        else if (host is "*" or "+" or "0.0.0.0")
        {
            address = IPAddress.Any;
        }
        else if (!IPAddress.TryParse(host, out address!))
        {
            error = $"host must be an IP address, 'localhost' or '*', got '{url.Host}'.";
            return false;
        }
        endPoint = new IPEndPoint(address, url.Port);
        return true;
    }

    private static IPEndPoint? CheckUrl(string name, Uri? url, List<string> errors)
    {
        if (url is null)
        {
            errors.Add($"{name}: is required.");
            return null;
        }
        if (!TryGetEndPoint(url, out var endPoint, out var error))
        {
            errors.Add($"{name}: {error}");
            return null;
        }
        return endPoint;
    }

    private static void CheckCertificate(string name, X509Certificate2? certificate, bool required, List<string> errors)
    {
        if (certificate is null)
        {
            if (required)
            {
                errors.Add($"{name}: is required.");
            }
            return;
        }
        if (!certificate.HasPrivateKey)
        {
            errors.Add($"{name}: the certificate '{certificate.Subject}' has no private key.");
        }
    }
}

/// <summary>Invalid server options; the message lists every bad option by name.</summary>
public sealed class ServerOptionsException(IReadOnlyList<string> errors)
    : Exception("Invalid server options: " + string.Join(" ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
