using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Endpoints;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard.Sessions;

/// <summary>
/// Signs out: the session is revoked on the server (a copied cookie stops working too), the
/// cookie is cleared and the sign-out is audited. The anti-forgery check is the dashboard's, as
/// for every action, so another site cannot sign an operator out.
/// </summary>
public sealed class SignOutAction(DashboardSessions sessions, IFleetStore store) : IDashboardAction
{
    public string Route => "/logout";

    public OperatorRole Role => DashboardEndpoints.SignInRole;

    public async Task<string> HandleAsync(DashboardRequest request, IFormCollection form)
    {
        if (request.Session is { } session)
        {
            sessions.Revoke(session);
            await using var work = await store.BeginAsync(request.Aborted);
            await work.Audit.AppendAsync(new AuditEvent("dashboard.session.ended", request.Now, request.Identity.Actor, request.Identity.Actor, "{}"), request.Aborted);
            await work.CommitAsync(request.Aborted);
        }
        request.Http.Response.Cookies.Delete(DashboardSessions.CookieName, DashboardSessions.CookieOptions(expires: null));
        return DashboardEndpoints.LoginPath;
    }
}
