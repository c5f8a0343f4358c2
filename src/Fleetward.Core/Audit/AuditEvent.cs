namespace Fleetward.Core.Audit;

/// <summary>
/// One security-relevant fact (an issuance, a refusal, an operator action) as it enters the audit log.
/// <paramref name="PayloadJson"/> is a JSON object with the event's details; the log stores a canonical encoding of the whole event.
/// </summary>
public sealed record AuditEvent(
    string Type,
    DateTimeOffset Time,
    string Actor,
    string Subject,
    string PayloadJson);
