using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleetward.Core.Access;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>The operator API of rollouts on the wire: status codes, problem details naming fields, roles, audit.</summary>
public sealed class RolloutApiTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        await PublishedReleases.PublishAsync(_server.Store, "mower-fw", "2.0.0", 4, hardwareIds: ["mower"]);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string ValidBody = """
        {
          "id": "spring-2026",
          "release": { "id": "mower-fw", "version": "2.0.0", "channel": "stable" },
          "selection": { "model": "mower", "tags": ["eu"] },
          "rings": [
            { "cumulativePercent": 1, "minimumSoakSeconds": 600 },
            { "cumulativePercent": 10, "minimumSoakSeconds": 600, "requiresApproval": true },
            { "cumulativePercent": 100 }
          ],
          "errorThreshold": { "failedPercent": 5, "minimumFinished": 10, "action": "abort" },
          "maxDevicesPerMinute": 100,
          "installTimeoutSeconds": 1800,
          "maxRetries": 2,
          "maintenance": { "windows": [ { "schedule": "0 2 * * *", "durationSeconds": 7200, "timeZone": "Europe/Berlin" } ], "securityReleasesBypassWindows": true }
        }
        """;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private Task<HttpResponseMessage> CreateAsync(string body, OperatorRole role = OperatorRole.Operator) =>
        _server.OperatorClient(role).PostAsync("/api/v1/rollouts", Json(body));

    [Fact]
    public async Task Operator_creates_a_draft_and_auditor_reads_it()
    {
        var created = await CreateAsync(ValidBody);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("spring-2026", view.GetProperty("id").GetString());
        Assert.Equal("draft", view.GetProperty("status").GetString());
        Assert.Equal(3, view.GetProperty("rings").GetArrayLength());
        Assert.Equal("Europe/Berlin", view.GetProperty("maintenance").GetProperty("windows")[0].GetProperty("timeZone").GetString());

        var read = await _server.OperatorClient(OperatorRole.Auditor).GetAsync("/api/v1/rollouts/spring-2026");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var status = JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, status.GetProperty("devices").GetProperty("rollback-pending").GetInt32());
        Assert.Equal("pending", status.GetProperty("rings")[0].GetProperty("status").GetString());

        var devices = await _server.OperatorClient(OperatorRole.Auditor).GetFromJsonAsync<JsonElement>("/api/v1/rollouts/spring-2026/devices?status=rollback-pending&limit=10");
        Assert.Equal(0, devices.GetProperty("items").GetArrayLength());
        var list = await _server.OperatorClient(OperatorRole.Auditor).GetFromJsonAsync<JsonElement>("/api/v1/rollouts?status=draft");
        Assert.Equal("spring-2026", list.GetProperty("items")[0].GetProperty("id").GetString());
        var audit = await _server.AuditEntriesAsync();
        Assert.Contains(audit, e => e.Type == "rollout.created" && e.Subject == "rollout:spring-2026" && e.Actor.StartsWith("token:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Auditor_may_not_create_and_no_token_is_unauthenticated()
    {
        await ProblemAssert.IsProblemAsync(await CreateAsync(ValidBody, OperatorRole.Auditor), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await _server.OperatorClient().PostAsync("/api/v1/rollouts", Json(ValidBody)), HttpStatusCode.Unauthorized, "unauthenticated");
        await ProblemAssert.IsProblemAsync(await _server.OperatorClient(OperatorRole.Auditor).PostAsync("/api/v1/rollouts/x/start", null), HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory]
    [InlineData("\"cumulativePercent\": 100 }", "\"cumulativePercent\": 50 }", "$.rings[2].cumulativePercent")]
    [InlineData("\"version\": \"2.0.0\", ", "\"version\": \"1.0.0\", ", "$.release.version")]
    [InlineData("\"id\": \"mower-fw\", ", "\"id\": \"drone-fw\", ", "$.release.id")]
    [InlineData("\"channel\": \"stable\"", "\"channel\": \"security\"", "$.release.channel")]
    [InlineData("\"model\": \"mower\"", "\"model\": \"drone\"", "$.selection.model")]
    [InlineData("\"channel\": \"stable\"", "\"channel\": \"beta\"", "$.release.channel")]
    [InlineData("\"action\": \"abort\"", "\"action\": \"explode\"", "$.errorThreshold.action")]
    [InlineData("\"failedPercent\": 5", "\"failedPercent\": 500", "$.errorThreshold.failedPercent")]
    [InlineData("\"schedule\": \"0 2 * * *\"", "\"schedule\": \"0 25 * * *\"", "$.maintenance.windows[0].schedule")]
    [InlineData("\"timeZone\": \"Europe/Berlin\"", "\"timeZone\": \"Mars/Olympus\"", "$.maintenance.windows[0].timeZone")]
    [InlineData("\"durationSeconds\": 7200", "\"durationSeconds\": 0", "$.maintenance.windows[0].durationSeconds")]
    [InlineData("\"minimumSoakSeconds\": 600 }", "\"minimumSoakSeconds\": -1 }", "$.rings[0].minimumSoakSeconds")]
    [InlineData("\"installTimeoutSeconds\": 1800", "\"installTimeoutSeconds\": 0", "$.installTimeoutSeconds")]
    [InlineData("\"maxRetries\": 2", "\"maxRetries\": 11", "$.maxRetries")]
    [InlineData("\"id\": \"spring-2026\"", "\"id\": \"Spring 2026\"", "$.id")]
    [InlineData("\"maxRetries\": 2", "\"maxRetries\": 2, \"colour\": \"red\"", "$.colour")]
    public async Task Invalid_requests_are_problems_naming_the_field(string find, string replace, string field)
    {
        Assert.Contains(find, ValidBody);
        var response = await CreateAsync(ValidBody.Replace(find, replace, StringComparison.Ordinal));
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Release_comes_from_the_catalogue_by_id_or_by_version()
    {
        var byVersion = await CreateAsync(ValidBody.Replace("\"id\": \"mower-fw\", ", "", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Created, byVersion.StatusCode);
        var release = (await byVersion.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("release");
        Assert.Equal("mower-fw", release.GetProperty("id").GetString());
        Assert.Equal(4, release.GetProperty("securityVersion").GetInt64());
        var legacy = await CreateAsync(ValidBody.Replace("\"channel\": \"stable\"", "\"channel\": \"stable\", \"securityVersion\": 9", StringComparison.Ordinal));
        Assert.Equal("$.release.securityVersion", (await ProblemAssert.IsProblemAsync(legacy, HttpStatusCode.BadRequest, "validation")).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Unsigned_release_is_refused()
    {
        await PublishedReleases.PublishAsync(_server.Store, "mower-fw-3", "3.0.0", 5, hardwareIds: ["mower"], signed: false);
        var response = await CreateAsync(ValidBody.Replace("\"id\": \"mower-fw\", \"version\": \"2.0.0\"", "\"id\": \"mower-fw-3\"", StringComparison.Ordinal));
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal("$.release.id", problem.GetProperty("field").GetString());
        Assert.Contains("not signed", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Release_older_than_a_signed_one_for_the_same_hardware_is_refused()
    {
        await PublishedReleases.PublishAsync(_server.Store, "mower-fw-hotfix", "2.0.1", 5, ReleaseChannel.Security, ["mower"]);
        var problem = await ProblemAssert.IsProblemAsync(await CreateAsync(ValidBody), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("$.release.id", problem.GetProperty("field").GetString());
        Assert.Contains("older than signed release 'mower-fw-hotfix'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Release_older_than_the_selected_current_version_is_refused()
    {
        // Devices already run 1.0.0 (still pending in the catalogue here, so only the current-version rule sees it).
        await PublishedReleases.PublishAsync(_server.Store, "drone-fw-1", "1.0.0", 2, hardwareIds: ["drone"], signed: false);
        await PublishedReleases.PublishAsync(_server.Store, "drone-fw-0", "0.9.0", 1, hardwareIds: ["drone"]);
        var body = ValidBody.Replace("\"id\": \"mower-fw\", \"version\": \"2.0.0\"", "\"id\": \"drone-fw-0\"", StringComparison.Ordinal)
            .Replace("\"model\": \"mower\", \"tags\": [\"eu\"]", "\"model\": \"drone\", \"currentVersions\": [\"0.8.0\", \"1.0.0\"]", StringComparison.Ordinal);
        var problem = await ProblemAssert.IsProblemAsync(await CreateAsync(body), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("$.selection.currentVersions[1]", problem.GetProperty("field").GetString());
        Assert.Contains("downgrade", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Actions_follow_the_state_machine_and_conflicts_carry_the_refusal_code()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(ValidBody)).StatusCode);
        var client = _server.OperatorClient(OperatorRole.Operator);

        await ProblemAssert.IsProblemAsync(await CreateAsync(ValidBody), HttpStatusCode.Conflict, "conflict");
        var pauseDraft = await ProblemAssert.IsProblemAsync(await client.PostAsync("/api/v1/rollouts/spring-2026/pause", null), HttpStatusCode.Conflict, "conflict");
        Assert.StartsWith("not-running:", pauseDraft.GetProperty("detail").GetString());
        var stale = await ProblemAssert.IsProblemAsync(await client.PostAsync("/api/v1/rollouts/spring-2026/start?expectedVersion=7", null), HttpStatusCode.Conflict, "conflict");
        Assert.StartsWith("version-conflict:", stale.GetProperty("detail").GetString());

        var started = await client.PostAsync("/api/v1/rollouts/spring-2026/start?expectedVersion=0", null);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        Assert.Equal("running", (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/rollouts/spring-2026/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/rollouts/spring-2026/resume", null)).StatusCode);
        var approve = await ProblemAssert.IsProblemAsync(await client.PostAsync("/api/v1/rollouts/spring-2026/approve?ring=0", null), HttpStatusCode.Conflict, "conflict");
        Assert.StartsWith("ring-not-awaiting-approval:", approve.GetProperty("detail").GetString());
        var aborted = await client.PostAsync("/api/v1/rollouts/spring-2026/abort", null);
        Assert.Equal("aborted", (await aborted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/api/v1/rollouts/spring-2026/cancel", null), HttpStatusCode.Conflict, "conflict");

        var types = (await _server.AuditEntriesAsync()).Select(e => e.Type).ToList();
        Assert.Equal(["rollout.created", "rollout.started", "rollout.status-changed", "rollout.paused", "rollout.status-changed", "rollout.resumed", "rollout.status-changed",
            "rollout.aborted", "rollout.status-changed", "rollout.rollback-ordered"], types.Where(t => t.StartsWith("rollout.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Unknown_rollout_is_not_found_and_bad_query_values_are_named()
    {
        var auditor = _server.OperatorClient(OperatorRole.Auditor);
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/rollouts/nope"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await _server.OperatorClient(OperatorRole.Operator).PostAsync("/api/v1/rollouts/nope/start", null), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/rollouts/nope/devices"), HttpStatusCode.NotFound, "not-found");
        var state = await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/rollouts/nope/devices?status=lost"), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("status", state.GetProperty("field").GetString());
        var status = await ProblemAssert.IsProblemAsync(await auditor.GetAsync("/api/v1/rollouts?status=sideways"), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("status", status.GetProperty("field").GetString());
        var version = await ProblemAssert.IsProblemAsync(await _server.OperatorClient(OperatorRole.Operator).PostAsync("/api/v1/rollouts/nope/start?expectedVersion=-1", null), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("expectedVersion", version.GetProperty("field").GetString());
    }
}
