using System.Security.Cryptography;

namespace Fleetward.Agent.Slots;

/// <summary>
/// Where each slot's image lives: a block device on hardware (e.g. <c>/dev/mmcblk0p2</c>) or a plain file
/// (<c>slot-a.img</c>/<c>slot-b.img</c>) for the file-backed default.
/// </summary>
public sealed class SlotDevices(string slotA, string slotB, bool regularFiles)
{
    public static SlotDevices InDirectory(string directory) =>
        new(Path.Combine(directory, "slot-a.img"), Path.Combine(directory, "slot-b.img"), regularFiles: true);

    public string PathOf(Slot slot) => slot == Slot.A ? slotA : slotB;

    /// <summary>Opens a slot for writing from its start; a regular file is truncated first, a block device keeps its size.</summary>
    public FileStream OpenForWrite(Slot slot) =>
        new(PathOf(slot), regularFiles ? FileMode.Create : FileMode.Open, FileAccess.Write, FileShare.None, bufferSize: 0);

    /// <summary>SHA-256 of the first <paramref name="length"/> bytes of the slot, or null when it holds fewer.</summary>
    public byte[]? Sha256Of(Slot slot, long length)
    {
        var path = PathOf(slot);
        if (!File.Exists(path))
        {
            return null;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        var remaining = length;
        while (remaining > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
            {
                return null;
            }
            hash.AppendData(buffer, 0, read);
            remaining -= read;
        }
        return hash.GetHashAndReset();
    }
}
