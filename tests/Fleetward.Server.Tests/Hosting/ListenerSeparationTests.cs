using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Access;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Tests.Hosting;

public sealed class ListenerSeparationTests
{
    [Fact]
    public async Task Operator_and_device_routes_answer_only_on_their_own_listener()
    {
        using var deviceCertificate = ClientCertificate("CN=device-1");
        // The probe is anonymous so that this test is about listeners only: RequireDevice routes also need a
        // registered fleet device (the identity area's tests cover that).
        await using var server = await TestServer.StartAsync(
            [new CertificateEchoModule()],
            services => services.AddSingleton<IDeviceCertificateValidator>(new AcceptOne(deviceCertificate)));
        using var device = new HttpClient(TestServer.PinnedHandler(server.Certificate, deviceCertificate)) { BaseAddress = server.Server.DeviceAddress };
        var admin = server.OperatorClient(OperatorRole.Admin);

        Assert.Equal("device-1", await device.GetStringAsync("/device-probe"));
        await ProblemAssert.IsProblemAsync(await device.GetAsync("/healthz"), HttpStatusCode.NotFound, "not-found", "operator route on the device listener:");
        await ProblemAssert.IsProblemAsync(await device.GetAsync("/api/v1/tokens"), HttpStatusCode.NotFound, "not-found", "operator API on the device listener:");
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/device-probe"), HttpStatusCode.NotFound, "not-found", "device route on the operator listener:");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Without_a_device_certificate_authority_the_device_listener_admits_no_one()
    {
        using var deviceCertificate = ClientCertificate("CN=device-2");
        await using var server = await TestServer.StartAsync([new DeviceProbeModule()]);
        using var withCertificate = new HttpClient(TestServer.PinnedHandler(server.Certificate, deviceCertificate)) { BaseAddress = server.Server.DeviceAddress };
        using var withoutCertificate = new HttpClient(TestServer.PinnedHandler(server.Certificate)) { BaseAddress = server.Server.DeviceAddress };

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => withCertificate.GetAsync("/device-probe"));
        // The built-in EST routes admit certificate-less clients to the handshake; every other device route refuses them.
        await ProblemAssert.IsProblemAsync(await withoutCertificate.GetAsync("/device-probe"), HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal(HttpStatusCode.OK, (await server.OperatorClient().GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Listeners_bind_loopback_ports_chosen_by_the_system()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal("127.0.0.1", server.Server.OperatorAddress.Host);
        Assert.NotEqual(0, server.Server.OperatorAddress.Port);
        Assert.NotEqual(0, server.Server.DeviceAddress.Port);
        Assert.NotEqual(server.Server.OperatorAddress.Port, server.Server.DeviceAddress.Port);
    }

    private static X509Certificate2 ClientCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class AcceptOne(X509Certificate2 accepted) : IDeviceCertificateValidator
    {
        public DeviceCertificateDecision Validate(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors policyErrors) =>
            certificate.RawData.AsSpan().SequenceEqual(accepted.RawData)
                ? DeviceCertificateDecision.Accept("the test device")
                : DeviceCertificateDecision.Refuse("not the test device");
    }

    [Fact]
    public async Task With_an_anonymous_device_route_certificate_less_clients_reach_only_that_route()
    {
        using var refused = ClientCertificate("CN=not-a-device");
        await using var server = await TestServer.StartAsync([new DeviceProbeModule(), new AnonymousDeviceModule()]);
        using var anonymous = new HttpClient(TestServer.PinnedHandler(server.Certificate)) { BaseAddress = server.Server.DeviceAddress };
        using var withRefusedCertificate = new HttpClient(TestServer.PinnedHandler(server.Certificate, refused)) { BaseAddress = server.Server.DeviceAddress };

        Assert.Equal("public", await anonymous.GetStringAsync("/anonymous-probe"));
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/device-probe"), HttpStatusCode.Unauthorized, "unauthenticated");
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => withRefusedCertificate.GetAsync("/anonymous-probe"));
    }

    [Fact]
    public void A_device_route_without_a_declared_access_rule_stops_the_server_from_building()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FleetwardServer.Build(
            new Options.ServerOptions
            {
                OperatorUrl = new Uri("https://127.0.0.1:0"),
                DeviceUrl = new Uri("https://127.0.0.1:0"),
                OperatorCertificate = Configuration.OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []),
            },
            new UndeclaredStore(),
            new FleetwardServerSetup { Modules = [new UndeclaredDeviceModule()] }));
        Assert.Contains("/undeclared-device", error.Message);
    }

    private sealed class DeviceProbeModule : IServerModule
    {
        public void MapEndpoints(FleetwardRoutes routes) =>
            routes.Device.MapGet("/device-probe", (Microsoft.AspNetCore.Http.HttpContext context) =>
                context.Connection.ClientCertificate!.GetNameInfo(X509NameType.SimpleName, false))
                .RequireDevice();
    }

    private sealed class CertificateEchoModule : IServerModule
    {
        public void MapEndpoints(FleetwardRoutes routes) =>
            routes.Device.MapGet("/device-probe", (Microsoft.AspNetCore.Http.HttpContext context) =>
                context.Connection.ClientCertificate!.GetNameInfo(X509NameType.SimpleName, false))
                .AllowWithoutDeviceCertificate("test route echoing the handshake's client certificate");
    }

    private sealed class AnonymousDeviceModule : IServerModule
    {
        public void MapEndpoints(FleetwardRoutes routes) =>
            routes.Device.MapGet("/anonymous-probe", () => "public").AllowWithoutDeviceCertificate("test route");
    }

    private sealed class UndeclaredDeviceModule : IServerModule
    {
        public void MapEndpoints(FleetwardRoutes routes) => routes.Device.MapGet("/undeclared-device", () => "open");
    }

    private sealed class UndeclaredStore : Core.Ports.IFleetStore
    {
        public string Engine => "none";

        public Task<Core.Ports.IFleetUnitOfWork> BeginAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Core.Ports.IFleetUnitOfWork> ReadAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
