using System.Text.Json.Nodes;

namespace Fleetward.Core.DeviceApi;

/// <summary>A device's report on one command: completed, refused (with the verifier's reason) or failed.</summary>
public sealed record CommandOutcomeReport(string Status, string Detail);

/// <summary>The DSSE envelope as the agent verifies it, with the id it reports the outcome under.</summary>
public sealed record DeviceCommandView(string Id, string Kind, JsonObject Envelope);

public sealed record CommandBatch(IReadOnlyList<DeviceCommandView> Commands);

/// <summary>The server command key devices pin: key id (SHA-256 of the SPKI) and the SPKI PEM.</summary>
public sealed record CommandKeyView(string KeyId, string Algorithm, string PublicKeyPem);
