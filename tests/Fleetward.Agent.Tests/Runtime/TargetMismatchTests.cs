using System.Text.Json.Nodes;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Tuf;
using Fleetward.Core.DeviceApi;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Tests.Runtime;

public sealed class TargetMismatchTests
{
    private static readonly TargetView Named = new("rel_2", "2.0.0", 2, "stable");

    private static TufTarget Signed(JsonNode? hardwareIds)
    {
        var custom = new JsonObject { ["version"] = "2.0.0", ["security_version"] = 2L };
        if (hardwareIds is not null)
        {
            custom["hardware_ids"] = hardwareIds;
        }
        return new TufTarget("stable/2.0.0/rover.img", TargetFileInfo.FromContent("image"u8, custom), "targets");
    }

    [Fact]
    public void A_target_for_this_hardware_matches() =>
        Assert.Null(DeviceAgent.TargetMismatch(Signed(new JsonArray("rover-2")), Named, "rover-2"));

    [Fact]
    public void A_target_for_other_hardware_is_refused() =>
        Assert.Contains("not for hardware rover-2", DeviceAgent.TargetMismatch(Signed(new JsonArray("mower-1")), Named, "rover-2"));

    [Fact]
    public void A_target_without_hardware_ids_is_refused() =>
        Assert.Contains("names no hardware_ids", DeviceAgent.TargetMismatch(Signed(null), Named, "rover-2"));

    [Fact]
    public void A_target_with_empty_hardware_ids_is_refused() =>
        Assert.Contains("names no hardware_ids", DeviceAgent.TargetMismatch(Signed(new JsonArray()), Named, "rover-2"));
}
