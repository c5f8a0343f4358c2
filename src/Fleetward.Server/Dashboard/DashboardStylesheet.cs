namespace Fleetward.Server.Dashboard;

/// <summary>The dashboard's one stylesheet, embedded in the assembly so nothing is fetched from elsewhere at run time.</summary>
public static class DashboardStylesheet
{
    public static string Text { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(DashboardStylesheet).Assembly.GetManifestResourceStream("Fleetward.Server.Dashboard.dashboard.css")
            ?? throw new InvalidOperationException("The dashboard stylesheet is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
