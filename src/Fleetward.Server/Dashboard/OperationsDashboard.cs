using Fleetward.Server.Dashboard.Pages;
using Fleetward.Server.Dashboard.Sections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleetward.Server.Dashboard;

/// <summary>
/// The dashboard's operations pages (rollouts, incidents, audit) and the device sections that show a device's
/// telemetry, rollouts and incidents. Their services (RolloutService, IncidentService) are registered by the
/// rollout and incident modules, which every server has.
/// </summary>
public static class OperationsDashboard
{
    public static IServiceCollection AddOperationsDashboard(this IServiceCollection services)
    {
        services.AddDashboardPage<RolloutListPage>();
        services.AddDashboardPage<RolloutDetailPage>();
        services.AddDashboardAction<PauseRolloutAction>();
        services.AddDashboardAction<ResumeRolloutAction>();
        services.AddDashboardAction<ApproveRolloutRingAction>();
        services.AddDashboardAction<CancelRolloutAction>();

        services.AddDashboardPage<IncidentListPage>();
        services.AddDashboardPage<IncidentDetailPage>();
        services.AddDashboardAction<ContainIncidentAction>();
        services.AddDashboardAction<ResolveIncidentAction>();
        services.AddDashboardAction<IncidentPlaybookAction>();

        services.TryAddSingleton<AuditLogStatusReader>();
        services.AddDashboardPage<AuditPage>();

        services.AddDeviceDetailSection<DeviceTelemetrySection>();
        services.AddDeviceDetailSection<DeviceRolloutHistorySection>();
        services.AddDeviceDetailSection<DeviceIncidentsSection>();
        return services;
    }
}
