using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class DeviceSelectionTests
{
    [Fact]
    public void Empty_selection_matches_everything()
    {
        Assert.True(DeviceSelection.All.Matches(RolloutSamples.Device("d1", version: null)));
    }

    [Fact]
    public void Model_must_match_exactly()
    {
        var selection = new DeviceSelection(model: "rover");
        Assert.True(selection.Matches(RolloutSamples.Device("d1", model: "rover")));
        Assert.False(selection.Matches(RolloutSamples.Device("d1", model: "Rover")));
    }

    [Fact]
    public void All_tags_are_required()
    {
        var selection = new DeviceSelection(tags: ["eu", "lab"]);
        Assert.True(selection.Matches(RolloutSamples.Device("d1", "rover", "1.0.0", "lab", "eu", "x")));
        Assert.False(selection.Matches(RolloutSamples.Device("d1", "rover", "1.0.0", "eu")));
    }

    [Fact]
    public void Current_version_must_be_listed_and_known()
    {
        var selection = new DeviceSelection(currentVersions: ["1.0.0", "1.1.0"]);
        Assert.True(selection.Matches(RolloutSamples.Device("d1", version: "1.1.0")));
        Assert.False(selection.Matches(RolloutSamples.Device("d1", version: "0.9.0")));
        Assert.False(selection.Matches(RolloutSamples.Device("d1", version: null)));
    }

    [Fact]
    public void Explicit_ids_combine_with_other_criteria()
    {
        var selection = new DeviceSelection(model: "rover", deviceIds: ["d1", "d2"]);
        Assert.True(selection.Matches(RolloutSamples.Device("d2")));
        Assert.False(selection.Matches(RolloutSamples.Device("d3")));
        Assert.False(selection.Matches(RolloutSamples.Device("d1", model: "arm")));
    }
}
