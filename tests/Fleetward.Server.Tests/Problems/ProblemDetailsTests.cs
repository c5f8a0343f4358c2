using System.Net;
using System.Text;
using Fleetward.Core.Access;
using Fleetward.Server.Access;
using Fleetward.Server.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Fleetward.Server.Tests.Problems;

public sealed class ProblemDetailsTests(ProblemDetailsTests.Fixture fixture) : IClassFixture<ProblemDetailsTests.Fixture>
{
    private readonly TestServer server = fixture.Server;

    public sealed class Fixture : TestServerFixture
    {
        protected override IReadOnlyList<IServerModule> Modules => [new FailingModule()];
    }

    [Theory]
    [InlineData("{\"name\":\"ci\",\"role\":\"operator\",\"colour\":\"red\"}", "$.colour", "Unknown field")]
    [InlineData("{\"role\":\"operator\"}", "$.name", "Required field")]
    [InlineData("{\"name\":\"ci\"}", "$.role", "Required field")]
    [InlineData("{\"name\":42,\"role\":\"operator\"}", "$.name", "wrong type")]
    [InlineData("{\"name\":null,\"role\":\"operator\"}", "$.name", "must not be null")]
    [InlineData("{\"name\":\"ci\",\"role\":\"operator\",\"expiresAt\":\"next tuesday\"}", "$.expiresAt", "wrong type")]
    [InlineData("{\"name\":\"ci\",\"role\":\"overlord\"}", "$.role", "role must be one of")]
    [InlineData("{\"name\":\"\",\"role\":\"operator\"}", "$.name", "must not be empty")]
    [InlineData("{\"name\":\"ci\",\"role\":\"operator\",\"expiresAt\":\"2020-01-01T00:00:00Z\"}", "$.expiresAt", "in the future")]
    [InlineData("{\"name\":\"ci\",", "$", "not valid JSON")]
    [InlineData("[1,2]", "$", "must be a JSON object")]
    [InlineData("null", "$", "not null")]
    [InlineData("", "$", "missing")]
    public async Task Bad_bodies_are_validation_problems_naming_the_field(string body, string field, string detail)
    {
        var response = await server.OperatorClient(OperatorRole.Admin)
            .PostAsync("/api/v1/tokens", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_unsupported_media_type()
    {
        var response = await server.OperatorClient(OperatorRole.Admin)
            .PostAsync("/api/v1/tokens", new StringContent("name=ci", Encoding.UTF8, "application/x-www-form-urlencoded"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal("Content-Type", problem.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/api/v1/devices?limit=0", "limit")]
    [InlineData("/api/v1/devices?limit=many", "limit")]
    [InlineData("/api/v1/devices?state=asleep", "state")]
    [InlineData("/api/v1/devices?colour=red", "colour")]
    [InlineData("/api/v1/devices?model=", "model")]
    public async Task Bad_query_parameters_are_validation_problems_naming_the_parameter(string path, string field)
    {
        var response = await server.OperatorClient(OperatorRole.Auditor).GetAsync(path);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Unknown_routes_and_resources_are_not_found_problems()
    {
        var admin = server.OperatorClient(OperatorRole.Admin);
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/api/v1/devices/no-such-device"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await admin.DeleteAsync("/api/v1/tokens/0123456789abcdef"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task An_unhandled_error_is_an_internal_problem_without_the_cause()
    {
        var response = await server.OperatorClient(OperatorRole.Auditor).GetAsync("/api/v1/test-failure");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError, "internal");
        Assert.DoesNotContain("secret cause", problem.ToString());
        Assert.DoesNotContain("InvalidOperationException", problem.ToString());
    }

    private sealed class FailingModule : IServerModule
    {
        public void MapEndpoints(FleetwardRoutes routes) =>
            routes.OperatorApi.MapGet("/test-failure", string () => throw new InvalidOperationException("secret cause"))
                .RequireRole(OperatorRole.Auditor);
    }
}
