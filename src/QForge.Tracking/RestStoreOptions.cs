using System.Globalization;

namespace QForge.Tracking;

/// <summary>
/// How <see cref="RestStore"/> talks to an MLflow tracking server: retries and timeouts as MLflow's own client has
/// them, credentials and TLS. Credentials are only ever put in the Authorization header: never in messages or logs.
/// </summary>
public sealed class RestStoreOptions
{
    /// <summary>Retries after the first attempt, for 408, 429, 500, 502, 503, 504, connection errors and timeouts.</summary>
    /// <value>7 (<c>MLFLOW_HTTP_REQUEST_MAX_RETRIES</c>).</value>
    public int MaxRetries { get; init; } = 7;

    /// <summary>How long one attempt may take.</summary>
    /// <value>120 s (<c>MLFLOW_HTTP_REQUEST_TIMEOUT</c>, in seconds).</value>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The first retry waits this long, each next one twice as long as the one before (then capped, plus jitter).</summary>
    /// <value>2 s (<c>MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR</c>, in seconds).</value>
    public TimeSpan BackoffFactor { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between two attempts, also for a server's <c>Retry-After</c>.</summary>
    /// <value>120 s.</value>
    public TimeSpan BackoffCap { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>A random extra wait between zero and this, added to each backoff so that clients do not retry in step.</summary>
    /// <value>1 s (<c>MLFLOW_HTTP_REQUEST_BACKOFF_JITTER</c>, in seconds).</value>
    public TimeSpan BackoffJitter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>User for HTTP Basic authentication (with <see cref="Password"/>).</summary>
    /// <value><c>MLFLOW_TRACKING_USERNAME</c>.</value>
    public string? Username { get; init; }

    /// <summary>Password for HTTP Basic authentication.</summary>
    /// <value><c>MLFLOW_TRACKING_PASSWORD</c>.</value>
    public string? Password { get; init; }

    /// <summary>Bearer token, used when no user and password are given.</summary>
    /// <value><c>MLFLOW_TRACKING_TOKEN</c>.</value>
    public string? Token { get; init; }

    /// <summary>Accept any server certificate (self-signed test servers only).</summary>
    /// <value>false (<c>MLFLOW_TRACKING_INSECURE_TLS</c>).</value>
    public bool InsecureTls { get; init; }

    /// <summary>A PEM or DER file holding the certificate authority that signed the server's certificate.</summary>
    /// <value><c>MLFLOW_TRACKING_SERVER_CERT_PATH</c>.</value>
    public string? ServerCertificatePath { get; init; }

    /// <summary>
    /// A PEM file holding the client certificate and its unencrypted private key, presented to servers that require
    /// mutual TLS (as MLflow's client passes it to <c>requests</c> as <c>cert</c>).
    /// </summary>
    /// <value><c>MLFLOW_TRACKING_CLIENT_CERT_PATH</c>.</value>
    public string? ClientCertificatePath { get; init; }

    /// <summary>
    /// The options MLflow's client reads from the environment (<c>MLFLOW_TRACKING_USERNAME</c>, <c>_PASSWORD</c>,
    /// <c>_TOKEN</c>, <c>_INSECURE_TLS</c>, <c>_SERVER_CERT_PATH</c>, <c>_CLIENT_CERT_PATH</c>, <c>MLFLOW_HTTP_REQUEST_MAX_RETRIES</c>,
    /// <c>_TIMEOUT</c>, <c>_BACKOFF_FACTOR</c>, <c>_BACKOFF_JITTER</c>), the rest left at their defaults.
    /// </summary>
    /// <param name="environment">Reads a variable; the process environment when null.</param>
    /// <exception cref="ArgumentException">A variable holds a value that is not a number or boolean as required; the message names it.</exception>
    public static RestStoreOptions FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var defaults = new RestStoreOptions();
        return new RestStoreOptions
        {
            MaxRetries = (int)Number(environment, "MLFLOW_HTTP_REQUEST_MAX_RETRIES", defaults.MaxRetries, integer: true),
            RequestTimeout = TimeSpan.FromSeconds(Number(environment, "MLFLOW_HTTP_REQUEST_TIMEOUT", defaults.RequestTimeout.TotalSeconds, integer: false, positive: true)),
            BackoffFactor = TimeSpan.FromSeconds(Number(environment, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", defaults.BackoffFactor.TotalSeconds, integer: false)),
            BackoffJitter = TimeSpan.FromSeconds(Number(environment, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", defaults.BackoffJitter.TotalSeconds, integer: false)),
            Username = NonEmpty(environment("MLFLOW_TRACKING_USERNAME")),
            Password = environment("MLFLOW_TRACKING_PASSWORD"),
            Token = NonEmpty(environment("MLFLOW_TRACKING_TOKEN")),
            InsecureTls = Boolean(environment, "MLFLOW_TRACKING_INSECURE_TLS"),
            ServerCertificatePath = NonEmpty(environment("MLFLOW_TRACKING_SERVER_CERT_PATH")),
            ClientCertificatePath = NonEmpty(environment("MLFLOW_TRACKING_CLIENT_CERT_PATH")),
        };
    }

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate()
    {
        if (MaxRetries < 0) throw new ArgumentException($"RestStoreOptions.MaxRetries is {MaxRetries}; it must be 0 or more.");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"RestStoreOptions.RequestTimeout is {RequestTimeout}; it must be positive.");
        if (BackoffFactor < TimeSpan.Zero || BackoffCap < TimeSpan.Zero || BackoffJitter < TimeSpan.Zero)
            throw new ArgumentException("RestStoreOptions.BackoffFactor, BackoffCap and BackoffJitter must not be negative.");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static double Number(Func<string, string?> environment, string variable, double fallback, bool integer, bool positive = false)
    {
        string? text = environment(variable);
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        double value = double.NaN;
        if (integer && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int whole)) value = whole;
        else if (!integer && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double real)) value = real;
        if (!double.IsFinite(value) || value < 0 || (positive && value == 0))
            throw new ArgumentException($"{variable} = '{text}': expected {(integer ? "a whole number" : "a number of seconds")}{(positive ? " above 0" : ", 0 or more")}.");
        return value;
    }

    private static bool Boolean(Func<string, string?> environment, string variable) =>
        environment(variable)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "false" or "0" => false,
            "true" or "1" => true,
            var other => throw new ArgumentException($"{variable} = '{other}': expected true or false."),
        };
}
