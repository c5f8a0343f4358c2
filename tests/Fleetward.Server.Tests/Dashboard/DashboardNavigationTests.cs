using Fleetward.Core.Access;
using Fleetward.Server.Dashboard;
using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Endpoints;

namespace Fleetward.Server.Tests.Dashboard;

public sealed class DashboardNavigationTests
{
    private sealed class AdminPage : IDashboardPage
    {
        public string Route => "/keys";

        public OperatorRole Role => OperatorRole.Admin;

        public DashboardNavigation? Navigation { get; } = new("Keys", 90);

        public Task<DashboardView> LoadAsync(DashboardRequest request) => throw new NotSupportedException();
    }

    private static readonly IDashboardPage[] Pages =
        [new DeviceListPage(null!), new AdminPage(), new FleetOverviewPage(null!), new DeviceDetailPage(null!, [])];

    [Fact]
    public void Navigation_lists_only_pages_with_an_entry_that_the_role_may_open_in_order()
    {
        var links = DashboardEndpoints.Navigation(Pages, OperatorRole.Auditor, "/dashboard/");
        Assert.Equal(["Overview", "Devices"], links.Select(l => l.Title));
        Assert.Equal(["Overview", "Devices", "Keys"], DashboardEndpoints.Navigation(Pages, OperatorRole.Admin, "/dashboard/").Select(l => l.Title));
    }

    [Theory]
    [InlineData("/dashboard/", "Overview")]
    [InlineData("/dashboard", "Overview")]
    [InlineData("/dashboard/devices", "Devices")]
    [InlineData("/dashboard/devices/robot-7", "Devices")]
    public void The_current_entry_is_the_one_whose_path_holds_the_request(string path, string current)
    {
        var links = DashboardEndpoints.Navigation(Pages, OperatorRole.Auditor, path);
        Assert.Equal(current, Assert.Single(links, l => l.Current).Title);
    }
}
