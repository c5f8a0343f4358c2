using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Devices;
using Fleetward.Core.Telemetry;
using Fleetward.Integration.Tests.Detection;
using Fleetward.Integration.Tests.Pki;
using Fleetward.Server.Detection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleetward.Integration.Tests.Siem;

/// <summary>
/// SIEM export to a real rsyslog (imtcp with the OpenSSL netstream driver, x509/certvalid, so our client certificate
/// must chain to its CA): a Mirai-like detection's findings and the quarantine remediation arrive over RFC 5425, and
/// events queued while the receiver was down are delivered once it is up.
/// </summary>
public sealed class RsyslogDeliveryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Findings_and_quarantine_remediation_reach_rsyslog_over_tls_with_a_client_certificate()
    {
        using var directory = new TempDirectory();
        var port = FreePort();
        var pki = TestPki.Write(directory.Path);
        await using var rig = await DetectionRig.StartAsync(TestEngine.Sqlite, T0, new DetectionServerOptions { SiemSinks = [SiemConfiguration.SyslogSink] });
        var device = await rig.AddDeviceAsync("rover-9", "rover-x");
        for (var minute = 0; minute < 3; minute++)
        {
            var report = Report(device.Id, minute);
            rig.Clock.Now = report.SampledAt.AddSeconds(2);
            Assert.True((await rig.Ingest.IngestAsync(device, TelemetryCodec.Encode(new TelemetryBatch { Reports = [report] }), default)).Accepted);
        }
        var infected = Report(device.Id, 3) with
        {
            TcpConnections = [.. Enumerable.Range(1, 40).Select(i => new TcpConnection { RemoteAddress = $"203.0.113.{i}", RemotePort = 23, State = TcpConnectionState.SynSent })],
        };
        rig.Clock.Now = infected.SampledAt.AddSeconds(2);
        var result = await rig.Ingest.IngestAsync(device, TelemetryCodec.Encode(new TelemetryBatch { Reports = [infected] }), default);
        Assert.Equal(DeviceLifecycleState.Quarantined, result.DeviceStateAfter);

        var options = new SyslogTlsSinkOptions("127.0.0.1", port, pki.CaPath, pki.ClientCertificatePath, pki.ClientKeyPath, "fleetward-test");
        var exporter = new SiemExporter(new SyslogTlsTransport(options), rig.Store, rig.Clock, NullLogger<SiemExporter>.Instance);

        // The receiver is down: nothing is lost, the events wait with a backoff.
        Assert.Equal(0, await exporter.DeliverDueAsync(default));
        long queued;
        await using (var read = await rig.Store.ReadAsync())
        {
            queued = await read.SiemOutbox.CountAsync(SiemConfiguration.SyslogSink);
            Assert.Empty(await read.SiemOutbox.ListDueAsync(SiemConfiguration.SyslogSink, rig.Clock.Now, 10));
        }
        Assert.True(queued >= 3, $"expected detection, incident and remediation events, got {queued}");

        using var rsyslog = Rsyslog.Start(directory.Path, port, pki);
        rig.Clock.Now += SiemExporter.Backoff(1);
        Assert.Equal(queued, await exporter.DeliverDueAsync(default));
        await exporter.StopAsync(default);

        var received = await rsyslog.WaitForAsync(lines => lines.Count(l => l.Contains("OCSF", StringComparison.Ordinal)) >= queued);
        Assert.Contains(received, l => l.StartsWith("OCSF2004 ", StringComparison.Ordinal) && l.Contains("\"class_uid\":2004") && l.Contains("rover-9"));
        Assert.Contains(received, l => l.StartsWith("OCSF2005 ", StringComparison.Ordinal));
        Assert.Contains(received, l => l.StartsWith("OCSF7004 ", StringComparison.Ordinal) && l.Contains("quarantine") && l.Contains("command_uid"));
        Assert.All(received.Where(l => l.StartsWith("OCSF", StringComparison.Ordinal)), l => Assert.Contains("fleetward-test fleetward", l));
        await using (var read = await rig.Store.ReadAsync())
        {
            Assert.Equal(0, await read.SiemOutbox.CountAsync(SiemConfiguration.SyslogSink));
        }
    }

    private static TelemetryReport Report(string deviceId, int minute) => new()
    {
        DeviceId = deviceId,
        Sequence = minute + 1,
        SampledAt = T0.AddMinutes(minute),
        IntervalSeconds = 60,
        CpuPercent = 10,
        MemoryUsedBytes = 100,
        MemoryTotalBytes = 1000,
        Network = new NetworkCounters { BytesIn = 1000, BytesOut = 1000, PacketsIn = 10, PacketsOut = 10 },
        TcpConnections = [new TcpConnection { RemoteAddress = "10.0.0.10", RemotePort = 8443 }],
        ProcessCount = 60,
        UptimeSeconds = 1000 + minute * 60,
        BootCount = 1,
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A throw-away CA, a receiver certificate for 127.0.0.1 and our client certificate, as PEM files.</summary>
    private sealed record TestPki(string CaPath, string ServerCertificatePath, string ServerKeyPath, string ClientCertificatePath, string ClientKeyPath)
    {
        public static TestPki Write(string directory)
        {
            var now = DateTimeOffset.UtcNow;
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Fleetward test SIEM CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
            using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
            var pki = new TestPki(Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.crt"), Path.Combine(directory, "server.key"),
                Path.Combine(directory, "client.crt"), Path.Combine(directory, "client.key"));
            File.WriteAllText(pki.CaPath, ca.ExportCertificatePem());
            Issue(ca, caKey, "CN=127.0.0.1", "1.3.6.1.5.5.7.3.1", pki.ServerCertificatePath, pki.ServerKeyPath, now, 1);
            Issue(ca, caKey, "CN=fleetward-siem-client", "1.3.6.1.5.5.7.3.2", pki.ClientCertificatePath, pki.ClientKeyPath, now, 2);
            return pki;
        }

        private static void Issue(X509Certificate2 ca, ECDsa caKey, string subject, string usage, string certificatePath, string keyPath, DateTimeOffset now, byte serial)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-5), now.AddDays(1), [serial, 0x42]);
            File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        }
    }

    /// <summary>rsyslogd in the foreground with its own configuration, work directory and output file; killed on dispose.</summary>
    private sealed class Rsyslog : IDisposable
    {
        private readonly Process _process;
        private readonly string _output;

        private Rsyslog(Process process, string output)
        {
            _process = process;
            _output = output;
        }

        public static Rsyslog Start(string directory, int port, TestPki pki)
        {
            var rsyslogd = ExternalTool.Require("rsyslogd", "rsyslog rsyslog-openssl");
            var work = Directory.CreateDirectory(Path.Combine(directory, "rsyslog-work")).FullName;
            var output = Path.Combine(directory, "received.log");
            var config = Path.Combine(directory, "rsyslog.conf");
            File.WriteAllText(config, $$"""
                global(workDirectory="{{work}}"
                       DefaultNetstreamDriver="ossl"
                       DefaultNetstreamDriverCAFile="{{pki.CaPath}}"
                       DefaultNetstreamDriverCertFile="{{pki.ServerCertificatePath}}"
                       DefaultNetstreamDriverKeyFile="{{pki.ServerKeyPath}}")
                module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid")
                input(type="imtcp" address="127.0.0.1" port="{{port}}")
                template(name="ocsf" type="string" string="%msgid% %hostname% %app-name% %structured-data% %msg%\n")
                action(type="omfile" file="{{output}}" template="ocsf")
                """);
            var start = new ProcessStartInfo(rsyslogd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-n", "-f", config, "-i", Path.Combine(work, "rsyslogd.pid") }) start.ArgumentList.Add(argument);
            var process = Process.Start(start)!;
            var captured = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (captured) captured.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (captured) captured.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var receiver = new Rsyslog(process, output);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                if (process.HasExited) Assert.Fail($"rsyslogd exited {process.ExitCode}: {captured}");
                try
                {
                    using var probe = new TcpClient();
                    probe.Connect(IPAddress.Loopback, port);
                    return receiver;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(100);
                }
            }
        }

        public async Task<IReadOnlyList<string>> WaitForAsync(Func<IReadOnlyList<string>, bool> done)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            IReadOnlyList<string> lines = [];
            while (DateTime.UtcNow < deadline)
            {
                lines = File.Exists(_output) ? await File.ReadAllLinesAsync(_output) : [];
                if (done(lines)) return lines;
                await Task.Delay(100);
            }
            Assert.Fail($"rsyslog received only:\n{string.Join("\n", lines)}");
            return lines;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
            _process.Dispose();
        }
    }
}
