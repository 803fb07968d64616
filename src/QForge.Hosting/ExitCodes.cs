namespace QForge.Hosting;

/// <summary>The process exit codes of a QForge experiment.</summary>
public static class ExitCodes
{
    /// <summary>The command succeeded.</summary>
    public const int Success = 0;

    /// <summary>Training failed with an unexpected error; the run ends FAILED.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: an unknown experiment, key or command, a value of the wrong type or out of range, a malformed settings file.</summary>
    public const int UsageError = 2;

    /// <summary>Stopped by SIGINT (Ctrl+C): 128 + 2, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;
}

/// <summary>A user mistake: reported as one line with exit code 2, never a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
