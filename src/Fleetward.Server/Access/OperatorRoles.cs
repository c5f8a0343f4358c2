using Fleetward.Core.Access;

namespace Fleetward.Server.Access;

/// <summary>
/// The privilege order between operator roles (names are in <see cref="OperatorRoleNames"/>).
/// </summary>
/// <remarks>
/// The order is deliberately not a straight line:
/// <list type="bullet">
/// <item><c>admin</c> may do everything.</item>
/// <item><c>release-manager</c> ⊇ <c>operator</c> ⊇ <c>auditor</c>: publishing releases includes running
/// the fleet, which includes reading it.</item>
/// <item><c>provisioner</c> is a factory-line credential: it may register devices and nothing else, and no
/// role but admin may act as a provisioner. A leaked provisioner token must not read the fleet or the
/// audit log, and a fleet operator's token must not mint device identities.</item>
/// </list>
/// </remarks>
public static class OperatorRoles
{
    public static IReadOnlyList<OperatorRole> All { get; } =
        [OperatorRole.Admin, OperatorRole.ReleaseManager, OperatorRole.Operator, OperatorRole.Auditor, OperatorRole.Provisioner];

    /// <summary>True when a token holding <paramref name="granted"/> may call a route that requires <paramref name="required"/>.</summary>
    public static bool Satisfies(this OperatorRole granted, OperatorRole required)
    {
        if (granted == required || granted == OperatorRole.Admin)
        {
            return true;
        }
        if (granted == OperatorRole.Provisioner || required == OperatorRole.Provisioner)
        {
            return false;
        }
        // Auditor < Operator < ReleaseManager < Admin on the enum's numeric order.
        return granted > required;
    }

    public static string NameList => string.Join(", ", All.Select(r => r.ToName()));
}
