namespace Fleetward.Trust.Tuf;

/// <summary>Why the client refused a piece of metadata or a target; each maps to a rule of the TUF client workflow.</summary>
public enum TufTrustFailure
{
    /// <summary>The file is not valid TUF metadata.</summary>
    Malformed,
    /// <summary>Fewer than threshold authorized keys signed it (5.3.4, 5.4.2, 5.5.3, 5.6.3).</summary>
    ThresholdNotMet,
    /// <summary>The version is not the one the referring metadata names (5.3.5, 5.5.4, 5.6.4).</summary>
    VersionMismatch,
    /// <summary>The version went backwards (5.4.3, 5.5.5).</summary>
    Rollback,
    /// <summary>The metadata is past its expiry at the update start time (5.3.10, 5.4.4, 5.5.6, 5.6.5).</summary>
    Expired,
    /// <summary>Length or hashes differ from what the referring metadata says (5.5.2, 5.6.2, 5.7.3).</summary>
    LengthOrHashMismatch,
    /// <summary>Metadata was loaded in an order the workflow does not allow, or a needed role is missing (5.6.1).</summary>
    WorkflowViolation,
    /// <summary>The device's own anti-rollback counter refuses the target although it is validly signed.</summary>
    SecurityVersionRollback,
    /// <summary>The repository does not vouch for the requested target (5.6.7).</summary>
    TargetNotFound,
    /// <summary>A download exceeded its size limit or time budget (endless data, slow retrieval).</summary>
    DownloadLimitExceeded,
    /// <summary>A production device found the target vouched for by a test or development key.</summary>
    NonProductionKey,
}

/// <summary>A refused trust decision: the reason, the role concerned and a message saying what differed.</summary>
public sealed class TufTrustException(TufTrustFailure reason, string role, string message, Exception? inner = null)
    : Exception($"{role}: {message}", inner)
{
    public TufTrustFailure Reason { get; } = reason;
    public string Role { get; } = role;
}
