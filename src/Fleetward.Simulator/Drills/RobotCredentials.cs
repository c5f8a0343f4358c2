using System.Security.Cryptography.X509Certificates;
using Fleetward.Agent.Identity;

namespace Fleetward.Simulator.Drills;

/// <summary>Reads a robot's current certificate and key straight from its state directory, as a thief with disk access would.</summary>
internal static class RobotCredentials
{
    public static X509Certificate2? Load(VirtualRobot robot)
    {
        var identity = Path.Combine(robot.StateDirectory, "identity");
        var certificatePath = Path.Combine(identity, "device.crt");
        if (!File.Exists(certificatePath)) return null;
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        using var key = new FileDeviceKeyStore(Path.Combine(identity, "device.key")).Current();
        return DeviceTlsClient.Join(certificate, key);
    }
}
