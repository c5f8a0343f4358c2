using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>A claim of the story that the demo did not observe. It ends the story with what was seen instead.</summary>
public sealed class DemoClaimException(string message) : Exception(message)
{
    /// <summary>Fails with <paramref name="observed"/> unless <paramref name="holds"/>.</summary>
    /// <exception cref="DemoClaimException"><paramref name="holds"/> is false.</exception>
    public static void That(bool holds, string observed)
    {
        if (!holds)
        {
            throw new DemoClaimException(observed);
        }
    }
}

/// <summary>A progress bar of one step: a count towards a total, with a label that may change as the work goes on.</summary>
public interface IDemoBar
{
    void Update(double value, string? label = null);

    /// <summary>Sets a new total (the work turned out larger or smaller than first thought).</summary>
    void Resize(double total);
}

/// <summary>What a running step gets from the narrator: bars, narration lines and the story's cancellation.</summary>
public interface IDemoStepContext
{
    CancellationToken Cancellation { get; }

    IDemoBar Bar(string label, double total);

    /// <summary>One line of narration under the step's title (plain text, not markup).</summary>
    void Say(string text);

    /// <summary>A table or other widget under the step's title.</summary>
    void Show(IRenderable widget);
}

/// <summary>One step of the story: its title and its work, which returns the result line it observed or throws <see cref="DemoClaimException"/>.</summary>
public sealed record DemoStep(string Title, Func<IDemoStepContext, Task<string>> RunAsync);

/// <summary>How one step ended: its result line or the reason it failed.</summary>
public sealed record DemoStepOutcome(string Title, bool Succeeded, string Result, TimeSpan Elapsed);

/// <summary>The story as told: every step that ran, in order. It happened as narrated only if every step of it ran and succeeded.</summary>
public sealed record DemoReport(IReadOnlyList<DemoStepOutcome> Steps, int Planned)
{
    public bool Succeeded => Steps.Count == Planned && Steps.All(step => step.Succeeded);
}

/// <summary>
/// Tells the demo's story one step at a time: a numbered title, the step's bars while it works, and one result line
/// with what the step observed. The first step whose claim does not hold ends the story, so the demo never narrates a
/// result it did not see. On a terminal the bars are live (Spectre.Console); elsewhere (CI logs, pipes) each bar
/// prints a plain line at every quarter and at its end, so the log stays readable.
/// </summary>
public sealed class DemoNarrator(IAnsiConsole console, bool live)
{
    public IAnsiConsole Console => console;

    /// <summary>A console on <paramref name="output"/>: live and coloured only when it is this process's own terminal.</summary>
    public static DemoNarrator For(TextWriter output)
    {
        var terminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!terminal)
        {
            // Logs have no width: do not wrap lines and tables at the 80 columns Spectre assumes for a pipe.
            console.Profile.Width = 240;
        }
        return new DemoNarrator(console, terminal);
    }

    /// <summary>A heading: a rule across a terminal, a plain line in a log.</summary>
    public void Heading(string title)
    {
        if (live)
        {
            console.Write(new Rule($"[bold]{Markup.Escape(title)}[/]").LeftJustified());
        }
        else
        {
            console.WriteLine($"== {title} ==");
        }
    }

    /// <summary>Runs the steps in order until one fails; never throws for a failed step.</summary>
    public async Task<DemoReport> RunAsync(IReadOnlyList<DemoStep> steps, CancellationToken cancellationToken)
    {
        var outcomes = new List<DemoStepOutcome>();
        for (var index = 0; index < steps.Count; index++)
        {
            var step = steps[index];
            console.WriteLine();
            console.MarkupLine($"[bold]{index + 1}/{steps.Count}[/]  [bold underline]{Markup.Escape(step.Title)}[/]");
            var clock = Stopwatch.StartNew();
            var outcome = await RunStepAsync(step, cancellationToken);
            outcome = outcome with { Elapsed = clock.Elapsed };
            outcomes.Add(outcome);
            var seconds = outcome.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            console.MarkupLine(outcome.Succeeded
                ? $"  [green]OK[/]  {Markup.Escape(outcome.Result)} [grey]({seconds} s)[/]"
                : $"  [red bold]FAILED[/]  {Markup.Escape(outcome.Result)} [grey]({seconds} s)[/]");
            if (!outcome.Succeeded)
            {
                break;
            }
        }
        return new DemoReport(outcomes, steps.Count);
    }

    private async Task<DemoStepOutcome> RunStepAsync(DemoStep step, CancellationToken cancellationToken)
    {
        try
        {
            string result;
            if (live)
            {
                result = "";
                await console.Progress()
                    .AutoClear(false)
                    .HideCompleted(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new CountColumn(), new SpinnerColumn())
                    .StartAsync(async progress => result = await step.RunAsync(new LiveContext(console, progress, cancellationToken)));
            }
            else
            {
                result = await step.RunAsync(new LineContext(console, cancellationToken));
            }
            return new DemoStepOutcome(step.Title, true, result, TimeSpan.Zero);
        }
        catch (DemoClaimException claim)
        {
            return new DemoStepOutcome(step.Title, false, claim.Message, TimeSpan.Zero);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new DemoStepOutcome(step.Title, false, "interrupted.", TimeSpan.Zero);
        }
        catch (OperatorApiException refused)
        {
            return new DemoStepOutcome(step.Title, false, "the server refused: " + refused.Message, TimeSpan.Zero);
        }
        catch (Exception error)
        {
            // Whatever broke, the story stops here and says so; the caller still tears the demo down.
            return new DemoStepOutcome(step.Title, false, $"{error.GetType().Name}: {error.Message}", TimeSpan.Zero);
        }
    }

    /// <summary>"value/total" next to a bar: the demo counts devices, not percent.</summary>
    private sealed class CountColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.IsIndeterminate ? "" : string.Create(CultureInfo.InvariantCulture, $"{task.Value:0}/{task.MaxValue:0}"));
    }

    private sealed class LiveContext(IAnsiConsole console, ProgressContext progress, CancellationToken cancellation) : IDemoStepContext
    {
        public CancellationToken Cancellation => cancellation;

        public IDemoBar Bar(string label, double total) => new LiveBar(progress.AddTask(Markup.Escape(label), maxValue: Math.Max(total, 1)));

        public void Say(string text) => console.MarkupLine("  " + Markup.Escape(text));

        public void Show(IRenderable widget) => console.Write(widget);
    }

    private sealed class LiveBar(ProgressTask task) : IDemoBar
    {
        public void Update(double value, string? label = null)
        {
            task.Value = Math.Min(value, task.MaxValue);
            if (label is not null)
            {
                task.Description = Markup.Escape(label);
            }
        }

        public void Resize(double total) => task.MaxValue = Math.Max(total, 1);
    }

    private sealed class LineContext(IAnsiConsole console, CancellationToken cancellation) : IDemoStepContext
    {
        public CancellationToken Cancellation => cancellation;

        public IDemoBar Bar(string label, double total) => new LineBar(console, label, total);

        public void Say(string text) => console.WriteLine("  " + text);

        public void Show(IRenderable widget) => console.Write(widget);
    }

    /// <summary>A bar for logs: a line when it passes each quarter of its total, and one when it is full.</summary>
    private sealed class LineBar(IAnsiConsole console, string label, double total) : IDemoBar
    {
        private int quartersShown = -1;

        public void Update(double value, string? newLabel = null)
        {
            label = newLabel ?? label;
            var quarter = total <= 0 ? 4 : (int)Math.Min(4, Math.Floor(value * 4 / total));
            if (quarter <= quartersShown)
            {
                return;
            }
            quartersShown = quarter;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  .. {label}: {value:0}/{total:0}"));
        }

        public void Resize(double newTotal)
        {
            total = newTotal;
            quartersShown = -1;
        }
    }
}
