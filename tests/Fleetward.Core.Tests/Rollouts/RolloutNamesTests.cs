using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Rollouts;

public class RolloutNamesTests
{
    [Fact]
    public void Every_stored_name_round_trips()
    {
        foreach (var status in Enum.GetValues<RolloutStatus>())
            Assert.True(RolloutStatusNames.TryParse(status.ToName(), out RolloutStatus parsed) && parsed == status);
        foreach (var status in Enum.GetValues<RingStatus>())
            Assert.True(RolloutStatusNames.TryParse(status.ToName(), out RingStatus parsed) && parsed == status);
        foreach (var status in Enum.GetValues<DeviceUpdateStatus>())
            Assert.True(DeviceUpdateStatusNames.TryParse(status.ToName(), out DeviceUpdateStatus parsed) && parsed == status);
        foreach (var action in Enum.GetValues<ErrorThresholdAction>())
            Assert.True(ErrorThresholdActionNames.TryParse(action.ToName(), out ErrorThresholdAction parsed) && parsed == action);
        foreach (var channel in Enum.GetValues<ReleaseChannel>())
            Assert.True(ReleaseChannelNames.TryParse(channel.ToName(), out var parsed) && parsed == channel);
    }

    [Fact]
    public void Names_are_the_documented_ones()
    {
        Assert.Equal("awaiting-approval", RingStatus.AwaitingApproval.ToName());
        Assert.Equal("rollback-pending", DeviceUpdateStatus.RollbackPending.ToName());
        Assert.Equal("rolled-back", DeviceUpdateStatus.RolledBack.ToName());
        Assert.False(DeviceUpdateStatusNames.TryParse("RolledBack", out DeviceUpdateStatus _));
    }
}
