using Fleetward.Cli.Commands;
using Fleetward.Cli.Commands.Demo;

namespace Fleetward.Server.Tests.Cli;

public sealed class DemoNarratorTests
{
    private readonly StringWriter output = new();

    private DemoNarrator Narrator() => DemoNarrator.For(output);

    private static DemoStep Step(string title, string result, List<string>? ran = null) =>
        new(title, _ =>
        {
            ran?.Add(title);
            return Task.FromResult(result);
        });

    [Fact]
    public async Task Every_step_runs_in_order_and_its_observed_result_is_narrated()
    {
        var ran = new List<string>();

        var report = await Narrator().RunAsync([Step("first", "saw one", ran), Step("second", "saw two", ran)], default);

        Assert.True(report.Succeeded);
        Assert.Equal(["first", "second"], ran);
        var text = output.ToString();
        Assert.Contains("1/2  first", text);
        Assert.Contains("OK  saw one", text);
        Assert.Contains("2/2  second", text);
        Assert.Contains("OK  saw two", text);
    }

    [Fact]
    public async Task A_claim_that_does_not_hold_stops_the_story_with_what_was_seen()
    {
        var ran = new List<string>();
        var failing = new DemoStep("claim", _ =>
        {
            ran.Add("claim");
            DemoClaimException.That(false, "3 of 5 robots updated");
            return Task.FromResult("never");
        });

        var report = await Narrator().RunAsync([Step("before", "ok", ran), failing, Step("after", "ok", ran)], default);

        Assert.False(report.Succeeded);
        Assert.Equal(["before", "claim"], ran);
        Assert.Equal(2, report.Steps.Count);
        Assert.False(report.Steps[1].Succeeded);
        Assert.Contains("FAILED  3 of 5 robots updated", output.ToString());
        Assert.DoesNotContain("never", output.ToString());
    }

    [Fact]
    public async Task An_unexpected_error_fails_the_step_naming_the_error()
    {
        var broken = new DemoStep("broken", _ => throw new InvalidOperationException("store closed"));

        var report = await Narrator().RunAsync([broken, Step("after", "ok")], default);

        Assert.False(report.Succeeded);
        Assert.Single(report.Steps);
        Assert.Contains("FAILED  InvalidOperationException: store closed", output.ToString());
    }

    [Fact]
    public async Task A_refusal_of_the_server_fails_the_step_with_its_problem()
    {
        var refused = new DemoStep("refused", _ => throw new OperatorApiException(System.Net.HttpStatusCode.Conflict, "not-running", "409 not-running: rollout is paused", null));

        var report = await Narrator().RunAsync([refused], default);

        Assert.False(report.Succeeded);
        Assert.Contains("the server refused: 409 not-running: rollout is paused", output.ToString());
    }

    [Fact]
    public async Task Cancelling_the_story_fails_the_running_step_as_interrupted()
    {
        using var cancel = new CancellationTokenSource();
        var waiting = new DemoStep("waiting", async step =>
        {
            await cancel.CancelAsync();
            await Task.Delay(Timeout.Infinite, step.Cancellation);
            return "never";
        });

        var report = await Narrator().RunAsync([waiting, Step("after", "ok")], cancel.Token);

        Assert.False(report.Succeeded);
        Assert.Contains("FAILED  interrupted.", output.ToString());
    }

    [Fact]
    public void A_story_that_ended_early_did_not_succeed_even_if_its_steps_did()
    {
        var report = new DemoReport([new DemoStepOutcome("one", true, "ok", TimeSpan.Zero)], Planned: 2);

        Assert.False(report.Succeeded);
    }

    [Fact]
    public async Task In_a_log_a_bar_prints_a_line_at_each_quarter_and_at_its_end()
    {
        var counting = new DemoStep("count", step =>
        {
            var bar = step.Bar("enrolled", 8);
            for (var i = 0; i <= 8; i++)
            {
                bar.Update(i);
            }
            return Task.FromResult("8 enrolled");
        });

        await Narrator().RunAsync([counting], default);

        var lines = output.ToString().Split('\n').Where(line => line.Contains("enrolled:", StringComparison.Ordinal)).Select(line => line.Trim()).ToList();
        Assert.Equal([".. enrolled: 0/8", ".. enrolled: 2/8", ".. enrolled: 4/8", ".. enrolled: 6/8", ".. enrolled: 8/8"], lines);
    }

    [Fact]
    public async Task A_log_carries_no_terminal_escape_sequences()
    {
        await Narrator().RunAsync([Step("plain", "result [with brackets]")], default);

        Assert.DoesNotContain("\u001b", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("result [with brackets]", output.ToString());
    }

    [Fact]
    public async Task Waiting_returns_the_observation_once_the_claim_holds()
    {
        var observations = 0;

        var seen = await DemoWait.UntilAsync("two observations", TimeSpan.FromMinutes(1), _ => Task.FromResult(++observations),
            n => n >= 2, n => n.ToString(System.Globalization.CultureInfo.InvariantCulture), null, default);

        Assert.Equal(2, seen);
    }

    [Fact]
    public async Task Waiting_past_the_deadline_fails_the_claim_with_the_last_observation()
    {
        var failure = await Assert.ThrowsAsync<DemoClaimException>(() => DemoWait.UntilAsync("the canary passes", TimeSpan.Zero,
            _ => Task.FromResult("ring 0 active, 2/3 succeeded"), _ => false, seen => seen, null, default));

        Assert.Contains("the canary passes did not happen within 0 s", failure.Message);
        Assert.Contains("last seen: ring 0 active, 2/3 succeeded", failure.Message);
    }
}
