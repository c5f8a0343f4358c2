using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleetward.Core.Detection;
using Fleetward.Server.Geofences;

namespace Fleetward.Cli.Commands;

/// <summary>
/// <c>fleetward geofence</c>: set, show and remove the areas a device model or one device must stay in, through the
/// operator API (same --server/--token/--ca-file conventions and exit codes as the other operator commands).
/// A device's own set replaces its model's.
/// </summary>
public static class GeofenceCommand
{
    public static Command Create()
    {
        var client = new OperatorApiOptions();
        var command = new Command("geofence", "Geofences per device model and per device, scored on every telemetry report");

        var (setModel, setDevice) = SubjectOptions();
        var circles = new Option<string[]>("--circle") { Description = "A circle \"NAME:LAT,LON,RADIUS_M\" (repeatable), e.g. \"depot:52.52,13.405,200\"" };
        var polygons = new Option<string[]>("--polygon") { Description = "A polygon \"NAME:LAT,LON;LAT,LON;LAT,LON...\" (repeatable, at least three vertices)" };
        var set = new Command("set", "Replace the geofences of a model or a device") { setModel, setDevice, circles, polygons };
        client.AddTo(set);
        set.SetAction((parse, cancellationToken) => Run(parse, client, async api =>
        {
            var areas = new List<GeofenceAreaInput?>();
            areas.AddRange((parse.GetValue(circles) ?? []).Select(ParseCircle));
            areas.AddRange((parse.GetValue(polygons) ?? []).Select(ParsePolygon));
            if (areas.Count == 0)
            {
                throw new UsageException("give at least one --circle or --polygon");
            }
            return await api.SendAsync(HttpMethod.Put, Path(parse, setModel, setDevice), new GeofenceSetRequest(areas), cancellationToken);
        }));
        command.Subcommands.Add(set);

        var (showModel, showDevice) = SubjectOptions();
        var show = new Command("show", "Show the geofences of a model or a device (every set when neither is given)") { showModel, showDevice };
        client.AddTo(show);
        show.SetAction((parse, cancellationToken) => Run(parse, client, async api =>
            await api.SendAsync(HttpMethod.Get, parse.GetValue(showModel) is null && parse.GetValue(showDevice) is null ? "api/v1/geofences" : Path(parse, showModel, showDevice), null, cancellationToken)));
        command.Subcommands.Add(show);

        var (removeModel, removeDevice) = SubjectOptions();
        var remove = new Command("remove", "Remove the geofences of a model or a device") { removeModel, removeDevice };
        client.AddTo(remove);
        remove.SetAction((parse, cancellationToken) => Run(parse, client, async api =>
        {
            var path = Path(parse, removeModel, removeDevice);
            await api.SendAsync(HttpMethod.Delete, path, null, cancellationToken);
            return "";
        }));
        command.Subcommands.Add(remove);
        return command;
    }

    private static (Option<string?> Model, Option<string?> Device) SubjectOptions() =>
        (new Option<string?>("--model") { Description = "The device model" }, new Option<string?>("--device") { Description = "The device id" });

    private static string Path(ParseResult parse, Option<string?> model, Option<string?> device) =>
        (parse.GetValue(model), parse.GetValue(device)) switch
        {
            ({ } m, null) => "api/v1/geofences/models/" + Uri.EscapeDataString(m),
            (null, { } d) => "api/v1/geofences/devices/" + Uri.EscapeDataString(d),
            _ => throw new UsageException("give exactly one of --model or --device"),
        };

    private static Task<int> Run(ParseResult parse, OperatorApiOptions options, Func<OperatorApiClient, Task<string>> call) =>
        CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var api = new OperatorApiClient(options.Connection(parse));
            var answer = await call(api);
            if (answer.Length == 0)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync("removed");
                return ExitCodes.Success;
            }
            using var document = JsonDocument.Parse(answer);
            await parse.InvocationConfiguration.Output.WriteLineAsync(parse.GetValue(options.Json) ? answer : Format(document.RootElement));
            return ExitCodes.Success;
        });

    private static string Format(JsonElement root)
    {
        var sets = root.TryGetProperty("items", out var items) ? [.. items.EnumerateArray()] : new[] { root };
        if (sets.Length == 0)
        {
            return "no geofences configured";
        }
        var text = new StringBuilder();
        foreach (var set in sets)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{set.GetProperty("scope").GetString()} {set.GetProperty("subject").GetString()} (set by {set.GetProperty("updatedBy").GetString()} at {set.GetProperty("updatedAt").GetDateTimeOffset():u})");
            foreach (var area in set.GetProperty("areas").EnumerateArray())
            {
                var name = area.GetProperty("name").GetString();
                if (area.GetProperty("circle") is { ValueKind: JsonValueKind.Object } circle)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {name}: circle {circle.GetProperty("latitude").GetDouble():0.######},{circle.GetProperty("longitude").GetDouble():0.######} radius {circle.GetProperty("radiusMeters").GetDouble():0.#} m");
                }
                else
                {
                    var vertices = area.GetProperty("polygon").EnumerateArray().Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.GetProperty("latitude").GetDouble():0.######},{v.GetProperty("longitude").GetDouble():0.######}"));
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {name}: polygon {string.Join(';', vertices)}");
                }
            }
        }
        return text.ToString().TrimEnd();
    }

    internal static GeofenceAreaInput ParseCircle(string text)
    {
        var (name, body) = SplitName(text, "--circle");
        var parts = body.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3)
        {
            throw new UsageException($"--circle must be NAME:LAT,LON,RADIUS_M; got '{text}'");
        }
        return new GeofenceAreaInput(name, new GeoCircleInput(Number(parts[0], "--circle", text), Number(parts[1], "--circle", text), Number(parts[2], "--circle", text)));
    }

    internal static GeofenceAreaInput ParsePolygon(string text)
    {
        var (name, body) = SplitName(text, "--polygon");
        var vertices = body.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(vertex =>
        {
            var parts = vertex.Split(',', StringSplitOptions.TrimEntries);
            return parts.Length == 2
                ? (GeoPointInput?)new GeoPointInput(Number(parts[0], "--polygon", text), Number(parts[1], "--polygon", text))
                : throw new UsageException($"--polygon vertices must be LAT,LON separated by ';'; got '{vertex}'");
        }).ToList();
        return new GeofenceAreaInput(name, Polygon: vertices);
    }

    private static (string Name, string Body) SplitName(string text, string option)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            throw new UsageException($"{option} must start with a name and ':'; got '{text}'");
        }
        return (text[..colon].Trim(), text[(colon + 1)..]);
    }

    private static double Number(string part, string option, string text) =>
        double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"{option}: '{part}' is not a number in '{text}'");
}
