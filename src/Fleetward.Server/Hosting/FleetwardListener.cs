using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Fleetward.Server.Hosting;

/// <summary>
/// The two faces of the control plane. Operators (bearer tokens) and devices (mutual TLS) never
/// share a listener, so a route can only ever be reached through the authentication it was built for.
/// </summary>
public enum FleetwardListener
{
    Operator,
    Device,
}

/// <summary>Endpoint metadata naming the only listener on which the endpoint answers.</summary>
public sealed record ListenerMetadata(FleetwardListener Listener);

/// <summary>Connection feature set by the listener's connection middleware: where this connection arrived.</summary>
public sealed class ListenerFeature(FleetwardListener listener)
{
    public FleetwardListener Listener { get; } = listener;

    public static FleetwardListener? Of(HttpContext context) => context.Features.Get<ListenerFeature>()?.Listener;
}

/// <summary>
/// Route matching by listener: a candidate endpoint stays valid only when the request arrived on the
/// endpoint's listener. Endpoints without <see cref="ListenerMetadata"/> (including the framework's
/// 405 endpoints) never match, so an unmarked route fails closed as 404.
/// </summary>
public sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // After the HTTP method policy, so its 405 candidates are filtered too.
    public override int Order => 10_000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var listener = ListenerFeature.Of(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
            {
                continue;
            }
            var declared = candidates[i].Endpoint.Metadata.GetMetadata<ListenerMetadata>();
            if (declared is null || listener is null || declared.Listener != listener)
            {
                candidates.SetValidity(i, false);
            }
        }
        return Task.CompletedTask;
    }
}
