using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Server.Access;

namespace Fleetward.Server.Tests.Access;

public sealed class TokenLifecycleTests
{
    [Fact]
    public async Task A_created_token_works_records_its_last_use_and_stops_working_when_revoked()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.OperatorClient(OperatorRole.Admin);

        var created = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "ci pipeline", role = "operator" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var secret = body.GetProperty("secret").GetString()!;
        var id = body.GetProperty("token").GetProperty("id").GetString()!;
        Assert.StartsWith("fw_" + id + "_", secret);
        Assert.Equal("operator", body.GetProperty("token").GetProperty("role").GetString());

        server.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(HttpStatusCode.OK, (await server.OperatorClient(secret).GetAsync("/api/v1/devices")).StatusCode);

        var listed = await ListAsync(admin);
        var view = listed.Single(t => t.GetProperty("id").GetString() == id);
        Assert.Equal(TestServer.Start.AddMinutes(3), view.GetProperty("lastUsedAt").GetDateTimeOffset());
        Assert.Equal("active", view.GetProperty("state").GetString());
        Assert.DoesNotContain(secret[20..], listed.ToString());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/v1/tokens/" + id)).StatusCode);
        var refused = await server.OperatorClient(secret).GetAsync("/api/v1/devices");
        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("revoked", problem.GetProperty("detail").GetString());
        Assert.Equal("revoked", (await ListAsync(admin)).Single(t => t.GetProperty("id").GetString() == id).GetProperty("state").GetString());

        var audit = await server.AuditEntriesAsync();
        var adminId = server.TokenFor(OperatorRole.Admin).Split('_')[1];
        Assert.Contains(audit, e => e.Type == "token.created" && e.Subject == "token:" + id && e.Actor == "token:" + adminId);
        Assert.Contains(audit, e => e.Type == "token.revoked" && e.Subject == "token:" + id && e.Actor == "token:" + adminId);
        Assert.Contains(audit, e => e.Type == "operator.access.refused" && e.Actor == "token:" + id);
    }

    [Fact]
    public async Task A_token_stops_working_at_its_expiry()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.OperatorClient(OperatorRole.Admin);
        var created = await admin.PostAsJsonAsync("/api/v1/tokens",
            new { name = "short-lived", role = "auditor", expiresAt = TestServer.Start.AddHours(1) });
        var secret = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        var client = server.OperatorClient(secret);

        server.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/devices")).StatusCode);

        server.Clock.Advance(TimeSpan.FromMinutes(1));
        var problem = await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/devices"), HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("expired", problem.GetProperty("detail").GetString());
        Assert.Equal("expired", (await ListAsync(admin)).Single(t => t.GetProperty("name").GetString() == "short-lived").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Last_used_is_rewritten_only_once_per_resolution_interval()
    {
        await using var server = await TestServer.StartAsync();
        var auditor = server.OperatorClient(OperatorRole.Auditor);
        var id = server.TokenFor(OperatorRole.Auditor).Split('_')[1];

        await auditor.GetAsync("/api/v1/devices");
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await auditor.GetAsync("/api/v1/devices");
        Assert.Equal(TestServer.Start, await LastUsedAsync(server, id));

        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await auditor.GetAsync("/api/v1/devices");
        Assert.Equal(TestServer.Start.AddMinutes(1), await LastUsedAsync(server, id));
    }

    [Theory]
    [InlineData("Bearer fw_not_a_token")]
    [InlineData("Bearer fw_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    public async Task Malformed_unknown_and_non_bearer_credentials_are_unauthenticated(string authorization)
    {
        await using var server = await TestServer.StartAsync();
        var client = server.OperatorClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/devices"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task A_right_id_with_a_wrong_secret_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        var genuine = server.TokenFor(OperatorRole.Admin);
        var forged = genuine[..^4] + (genuine.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        await ProblemAssert.IsProblemAsync(await server.OperatorClient(forged).GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    private static async Task<DateTimeOffset?> LastUsedAsync(TestServer server, string id)
    {
        await using var read = await server.Store.ReadAsync();
        return (await read.Tokens.GetAsync(id))!.LastUsedAt;
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient admin)
    {
        var json = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/tokens")).RootElement;
        return [.. json.GetProperty("items").EnumerateArray()];
    }
}
