using System.Net;
using System.Text.RegularExpressions;
using Fleetward.Core.Access;
using Fleetward.Server.Access;
using Fleetward.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fleetward.Server.Tests.Access;

/// <summary>
/// Walks every route the server registers and proves the access rule on the wire: no token → 401,
/// a token whose role does not satisfy the route → 403, both as problem+json. A route without a
/// declared role fails here (and the server already refuses to build with one).
/// </summary>
public sealed class RouteAuthorizationTests
{
    private static readonly HashSet<string> PublicRoutes = ["/healthz", "/readyz", "/dashboard/login", "/dashboard/assets/dashboard.css"];

    [Fact]
    public async Task Every_operator_route_refuses_missing_tokens_and_insufficient_roles()
    {
        await using var server = await TestServer.StartAsync();
        var routes = OperatorRoutes(server.Server).ToList();
        Assert.True(routes.Count >= 7, $"expected the built-in routes, found {routes.Count}");

        var anonymous = server.OperatorClient();
        foreach (var (endpoint, method, pattern) in routes)
        {
            var path = "/" + Regex.Replace(pattern.TrimStart('/'), "\\{[^}]+\\}", "route-test-value");
            if (endpoint.Metadata.GetMetadata<PublicEndpointMetadata>() is not null)
            {
                Assert.Contains(pattern, PublicRoutes);
                continue;
            }
            var required = endpoint.Metadata.GetMetadata<RequiredRoleMetadata>();
            Assert.True(required is not null, $"{method} {pattern} declares no required role");

            var unauthenticated = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            await ProblemAssert.IsProblemAsync(unauthenticated, HttpStatusCode.Unauthorized, "unauthenticated", $"{method} {pattern} without a token:");
            Assert.Contains("Bearer", unauthenticated.Headers.WwwAuthenticate.ToString());

            var insufficient = OperatorRoles.All.First(role => !role.Satisfies(required.Role));
            var forbidden = await server.OperatorClient(insufficient).SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            await ProblemAssert.IsProblemAsync(forbidden, HttpStatusCode.Forbidden, "forbidden", $"{method} {pattern} as {insufficient.ToName()}:");

            var allowed = await server.OperatorClient(required.Role).SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True(allowed.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                $"{method} {pattern} as {required.Role.ToName()} was refused: {(int)allowed.StatusCode}");
        }

        var publicSeen = routes.Where(r => r.Endpoint.Metadata.GetMetadata<PublicEndpointMetadata>() is not null).Select(r => r.Pattern).ToHashSet();
        Assert.Equal(PublicRoutes, publicSeen);
    }

    [Fact]
    public async Task Every_route_names_its_listener()
    {
        await using var server = await TestServer.StartAsync();
        Assert.All(server.Server.Endpoints, endpoint => Assert.NotNull(endpoint.Metadata.GetMetadata<ListenerMetadata>()));
    }

    [Fact]
    public void A_route_without_a_declared_role_stops_the_server_from_building()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FleetwardServer.Build(
            new Options.ServerOptions
            {
                OperatorUrl = new Uri("https://127.0.0.1:0"),
                DeviceUrl = new Uri("https://127.0.0.1:0"),
                OperatorCertificate = Configuration.OperatorCertificate.CreateSelfSigned(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), []),
            },
            new UnreachableStore(),
            new FleetwardServerSetup { Modules = [new UndeclaredRouteModule()] }));
        Assert.Contains("/api/v1/undeclared", error.Message);
    }

    [Fact]
    public void Role_order_admin_covers_all_and_provisioner_stands_apart()
    {
        foreach (var required in OperatorRoles.All)
        {
            Assert.True(OperatorRole.Admin.Satisfies(required));
            Assert.True(required.Satisfies(required));
        }
        Assert.True(OperatorRole.ReleaseManager.Satisfies(OperatorRole.Operator));
        Assert.True(OperatorRole.Operator.Satisfies(OperatorRole.Auditor));
        Assert.False(OperatorRole.Auditor.Satisfies(OperatorRole.Operator));
        Assert.False(OperatorRole.Operator.Satisfies(OperatorRole.ReleaseManager));
        Assert.False(OperatorRole.ReleaseManager.Satisfies(OperatorRole.Admin));
        Assert.False(OperatorRole.Provisioner.Satisfies(OperatorRole.Auditor));
        Assert.False(OperatorRole.Operator.Satisfies(OperatorRole.Provisioner));
        Assert.False(OperatorRole.ReleaseManager.Satisfies(OperatorRole.Provisioner));
    }

    [Fact]
    public void Every_role_has_a_role_that_does_not_satisfy_it_so_every_route_has_a_403_case()
    {
        foreach (var required in OperatorRoles.All)
        {
            Assert.Contains(OperatorRoles.All, granted => !granted.Satisfies(required));
        }
    }

    private static IEnumerable<(Endpoint Endpoint, string Method, string Pattern)> OperatorRoutes(FleetwardServer server)
    {
        foreach (var endpoint in server.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<ListenerMetadata>()?.Listener != FleetwardListener.Operator)
            {
                continue;
            }
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                yield return (endpoint, method, endpoint.RoutePattern.RawText!.TrimEnd('/') is { Length: > 0 } p ? p : "/");
            }
        }
    }

    private sealed class UndeclaredRouteModule : IServerModule
    {
        public void MapEndpoints(FleetwardRoutes routes) => routes.OperatorApi.MapGet("/undeclared", () => "open");
    }

    private sealed class UnreachableStore : Core.Ports.IFleetStore
    {
        public string Engine => "none";

        public Task<Core.Ports.IFleetUnitOfWork> BeginAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Core.Ports.IFleetUnitOfWork> ReadAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
