using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleetward.Server.Dashboard;

/// <summary>How an area contributes to the dashboard from its module's ConfigureServices.</summary>
public static class DashboardServiceCollectionExtensions
{
    public static IServiceCollection AddDashboardPage<TPage>(this IServiceCollection services)
        where TPage : class, IDashboardPage
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDashboardPage, TPage>());
        return services;
    }

    public static IServiceCollection AddDashboardAction<TAction>(this IServiceCollection services)
        where TAction : class, IDashboardAction
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDashboardAction, TAction>());
        return services;
    }

    public static IServiceCollection AddDeviceDetailSection<TSection>(this IServiceCollection services)
        where TSection : class, IDeviceDetailSection
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeviceDetailSection, TSection>());
        return services;
    }
}
