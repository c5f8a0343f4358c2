namespace Fleetward.Agent.Tuf;

/// <summary>
/// Where the updater gets repository bytes from. Deliberately dumb: it returns streams and nothing it says is trusted;
/// length limits, timeouts and every check happen in <see cref="TufUpdater"/>, so a malicious mirror behind any
/// implementation is handled the same way.
/// </summary>
public interface ITufRepositoryFetcher
{
    /// <summary>Opens a metadata file by name (e.g. <c>3.root.json</c>), or null when the repository does not have it.</summary>
    Task<Stream?> OpenMetadataAsync(string fileName, CancellationToken cancellationToken);

    /// <summary>Opens a target by its repository path (e.g. <c>fw/HASH.app.bin</c>), or null when it does not exist.</summary>
    Task<Stream?> OpenTargetAsync(string repositoryPath, CancellationToken cancellationToken);
}
