using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace QForge.Tracking;

/// <summary>
/// An MLflow tracking server through its REST API 2.0 (<c>/api/2.0/mlflow/</c>). Log batches are split to MLflow's
/// limits (1000 metrics, 100 params, 100 tags, 1000 items, 1,000,000 characters per request); non-finite metric
/// values travel as "NaN", "Infinity" and "-Infinity"; artifacts go up through the server's artifact proxy
/// (<c>mlflow-artifacts:</c> URIs). Calls are retried like MLflow's client does (see <see cref="RestStoreOptions"/>);
/// a param logged again with a different value is never retried.
/// </summary>
public sealed partial class RestStore : ITrackingStore
{
    /// <summary>Most metrics in one runs/log-batch request.</summary>
    internal const int MaxMetricsPerBatch = 1000;

    /// <summary>Most params in one runs/log-batch request.</summary>
    internal const int MaxParamsPerBatch = 100;

    /// <summary>Most tags in one runs/log-batch request.</summary>
    internal const int MaxTagsPerBatch = 100;

    /// <summary>Most metrics, params and tags together in one runs/log-batch request.</summary>
    internal const int MaxItemsPerBatch = 1000;

    /// <summary>Longest runs/log-batch request body, in characters (the body is ASCII, so bytes).</summary>
    internal const int MaxBatchBodyCharacters = 1_000_000;

    private static readonly HashSet<int> RetryableStatuses = [408, 429, 500, 502, 503, 504];

    // Answers that will not change on a retry, whatever the HTTP status they come with.
    private static readonly HashSet<string> DefiniteErrorCodes =
        ["INVALID_PARAMETER_VALUE", "RESOURCE_ALREADY_EXISTS", "RESOURCE_DOES_NOT_EXIST", "INVALID_STATE", "PERMISSION_DENIED", "UNAUTHENTICATED", "BAD_REQUEST"];

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private readonly HttpClient _http;
    private readonly RestStoreOptions _options;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly string _base;

    /// <summary>A store for the server at <paramref name="trackingUri"/> (http or https; a path prefix is kept).</summary>
    /// <param name="trackingUri">The server, as in <c>MLFLOW_TRACKING_URI</c>. A user and password in it are used for Basic authentication when <paramref name="options"/> has none, and are dropped from <see cref="ServerUri"/>.</param>
    /// <param name="options">Retries, timeouts, credentials and TLS; defaults as MLflow's client when null (credentials not read from the environment: see <see cref="RestStoreOptions.FromEnvironment"/>).</param>
    public RestStore(Uri trackingUri, RestStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trackingUri);
        if (!trackingUri.IsAbsoluteUri || (trackingUri.Scheme != Uri.UriSchemeHttp && trackingUri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"'{TrackingUri.Redact(trackingUri.OriginalString)}' is not an http:// or https:// tracking server address.", nameof(trackingUri));
        _options = options ?? new RestStoreOptions();
        _options.Validate();
        string? userInfoUser = null, userInfoPassword = null;
        if (trackingUri.UserInfo.Length > 0)
        {
            string[] parts = trackingUri.UserInfo.Split(':', 2);
            userInfoUser = Uri.UnescapeDataString(parts[0]);
            userInfoPassword = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }
        ServerUri = new UriBuilder(trackingUri) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri;
        _base = ServerUri.AbsoluteUri.TrimEnd('/');
        _authorization = Authorization(_options.Username ?? userInfoUser, _options.Username is null ? userInfoPassword : _options.Password, _options.Token);
        _http = new HttpClient(CreateHandler(_options)) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The server's address, without credentials.</summary>
    public Uri ServerUri { get; }

    /// <inheritdoc/>
    public string Location => _base;

    /// <inheritdoc/>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default)
    {
        TrackingKeys.ValidateExperimentName(name);
        var existing = await GetExperimentByNameAsync(name, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            try
            {
                byte[] body = Json(w => w.WriteString("name", name));
                return await PostAsync("experiments/create", body, $"experiments/create '{name}'",
                    answer => answer.GetProperty("experiment_id").GetString()!, cancellationToken).ConfigureAwait(false);
            }
            catch (TrackingException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS")
            {
                // Another client created it between our lookup and our create: use theirs.
                existing = await GetExperimentByNameAsync(name, cancellationToken).ConfigureAwait(false)
                           ?? throw new TrackingException($"The MLflow server {Location} says experiment '{name}' exists but cannot find it by name.", isTransient: false, e.StatusCode, e.ErrorCode, e);
            }
        }
        if (existing.Value.Deleted)
            throw new InvalidOperationException($"The experiment '{name}' is deleted on {Location}: restore it (mlflow experiments restore) or choose another name.");
        return existing.Value.Id;
    }

    /// <inheritdoc/>
    public async Task<RunInfo> StartRunAsync(string experimentId, string runName, IReadOnlyDictionary<string, string> tags, long startTime,
        string? parentRunId = null, CancellationToken cancellationToken = default)
    {
        if (!TrackingKeys.IsExperimentId(experimentId))
            throw new ArgumentException($"Invalid experiment id '{experimentId}': an experiment id matches ^[a-zA-Z0-9][\\w\\-]{{0,63}}$.", nameof(experimentId));
        TrackingKeys.ValidateSingleLine(runName, "run name");
        var allTags = new Dictionary<string, string>(tags) { ["mlflow.runName"] = runName };
        if (parentRunId is not null) allTags["mlflow.parentRunId"] = parentRunId;
        foreach (var (key, value) in allTags)
        {
            TrackingKeys.Validate(key, "tag");
            TrackingKeys.ValidateTagValue(key, value);
        }
        byte[] body = Json(w =>
        {
            w.WriteString("experiment_id", experimentId);
            w.WriteString("user_id", FileStore.RunUser(tags));
            w.WriteString("run_name", runName);
            w.WriteNumber("start_time", startTime);
            WriteKeyValues(w, "tags", allTags);
        });
        return await PostAsync("runs/create", body, $"runs/create '{runName}'",
            answer => ReadRunInfo(answer.GetProperty("run").GetProperty("info")), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task LogBatchAsync(RunInfo run, IReadOnlyList<MetricPoint> metrics, IReadOnlyCollection<KeyValuePair<string, string>> parameters,
        IReadOnlyCollection<KeyValuePair<string, string>> tags, CancellationToken cancellationToken = default)
    {
        foreach (var (key, value) in parameters)
        {
            TrackingKeys.Validate(key, "param");
            TrackingKeys.ValidateParamValue(key, value);
        }
        foreach (var (key, value) in tags)
        {
            TrackingKeys.Validate(key, "tag");
            TrackingKeys.ValidateTagValue(key, value);
        }
        foreach (var metric in metrics) TrackingKeys.Validate(metric.Key, "metric");
        if (!TrackingKeys.IsRunId(run.RunId)) throw new ArgumentException($"Invalid run id '{run.RunId}'.", nameof(run));
        foreach (byte[] body in LogBatchBodies(run.RunId, metrics, parameters, tags))
        {
            await PostAsync("runs/log-batch", body, $"runs/log-batch for run {run.RunId}", _ => true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task LogArtifactAsync(RunInfo run, string file, string artifactPath, CancellationToken cancellationToken = default)
    {
        TrackingKeys.ValidateArtifactPath(artifactPath);
        if (!File.Exists(file)) throw new FileNotFoundException($"The artifact file '{file}' does not exist.", file);
        string uri = run.ArtifactUri;
        const string proxied = "mlflow-artifacts:";
        if (uri.StartsWith(proxied, StringComparison.OrdinalIgnoreCase))
        {
            string rest = uri[proxied.Length..];
            string server = _base;
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                // mlflow-artifacts://host:port/path names another server for artifacts.
                int slash = rest.IndexOf('/', 2);
                server = $"{ServerUri.Scheme}://{(slash < 0 ? rest[2..] : rest[2..slash])}";
                rest = slash < 0 ? "" : rest[slash..];
            }
            string path = string.Join('/', rest.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(artifactPath.Split('/'))
                .Select(part => Uri.EscapeDataString(Uri.UnescapeDataString(part))));
            var url = new Uri($"{server}/api/2.0/mlflow-artifacts/artifacts/{path}");
            await SendAsync(HttpMethod.Put, url, () =>
            {
                var content = new StreamContent(File.OpenRead(file));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                return content;
            }, $"the upload of artifact '{artifactPath}'", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(uri, UriKind.Absolute, out var local) && local.IsFile)
        {
            // The server stores artifacts on a disk this machine sees (a server on localhost without --serve-artifacts).
            string target = Path.Combine(local.LocalPath, Path.Combine(artifactPath.Split('/')));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
            return;
        }
        throw new TrackingException($"Run {run.RunId} keeps its artifacts at '{uri}', which QForge cannot write: start the MLflow server with --serve-artifacts (artifacts through the server, mlflow-artifacts:) or log to a file store.",
            isTransient: false);
    }

    /// <inheritdoc/>
    public async Task<ExistingRun> ResumeRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (!TrackingKeys.IsRunId(runId))
            throw new TrackingException($"Invalid run id '{runId}': a run id matches ^[a-zA-Z0-9][\\w\\-]{{0,255}}$.", isTransient: false);
        var existing = await GetAsync($"runs/get?run_id={Uri.EscapeDataString(runId)}", $"runs/get of run {runId}", answer =>
        {
            var info = answer.GetProperty("run").GetProperty("info");
            bool deleted = info.TryGetProperty("lifecycle_stage", out var stage) && stage.GetString() == "deleted";
            string name = info.TryGetProperty("run_name", out var n) ? n.GetString() ?? "" : "";
            long start = info.TryGetProperty("start_time", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt64()
                : info.TryGetProperty("start_time", out t) && long.TryParse(t.GetString(), out long parsed) ? parsed : 0;
            string user = info.TryGetProperty("user_id", out var u) ? u.GetString() ?? "" : "";
            return (Run: new ExistingRun(ReadRunInfo(info), name, start, user), Deleted: deleted);
        }, cancellationToken).ConfigureAwait(false);
        if (existing.Deleted)
            throw new TrackingException($"Run '{runId}' is deleted on {Location}: restore it (mlflow runs restore --run-id {runId}) to log to it.", isTransient: false);
        await EndRunAsync(existing.Run.Info, RunState.Running, 0, cancellationToken).ConfigureAwait(false);
        return existing.Run;
    }

    /// <inheritdoc/>
    public async Task EndRunAsync(RunInfo run, RunState state, long endTime, CancellationToken cancellationToken = default)
    {
        byte[] body = Json(w =>
        {
            w.WriteString("run_id", run.RunId);
            w.WriteString("run_uuid", run.RunId);
            w.WriteString("status", StatusName(state));
            if (state != RunState.Running) w.WriteNumber("end_time", endTime);
        });
        await PostAsync("runs/update", body, $"runs/update of run {run.RunId} to {StatusName(state)}", _ => true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the HTTP connections.</summary>
    public void Dispose() => _http.Dispose();

    /// <summary>MLflow's REST name of a state.</summary>
    internal static string StatusName(RunState state) => state switch
    {
        RunState.Running => "RUNNING",
        RunState.Finished => "FINISHED",
        RunState.Failed => "FAILED",
        RunState.Killed => "KILLED",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not an MLflow run status."),
    };

    /// <summary>
    /// The request bodies of one logical log-batch: each holds at most 100 params, 100 tags, 1000 metrics, 1000 items
    /// and 1,000,000 characters. Params come first, then tags, then metrics, each kind in the order given.
    /// </summary>
    internal static List<byte[]> LogBatchBodies(string runId, IReadOnlyList<MetricPoint> metrics, IReadOnlyCollection<KeyValuePair<string, string>> parameters,
        IReadOnlyCollection<KeyValuePair<string, string>> tags)
    {
        var itemBuffer = new ArrayBufferWriter<byte>(256);
        byte[] Serialize(Action<Utf8JsonWriter> write)
        {
            itemBuffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(itemBuffer)) write(writer);
            return itemBuffer.WrittenSpan.ToArray();
        }
        byte[][] paramItems = parameters.Select(p => Serialize(w => WriteKeyValue(w, p.Key, p.Value))).ToArray();
        byte[][] tagItems = tags.Select(t => Serialize(w => WriteKeyValue(w, t.Key, t.Value))).ToArray();
        byte[][] metricItems = metrics.Select(m => Serialize(w => WriteMetric(w, m))).ToArray();
        byte[] runIdJson = Serialize(w => w.WriteStringValue(runId));
        int overhead = Encoding.ASCII.GetByteCount("{\"run_id\":,\"metrics\":[],\"params\":[],\"tags\":[]}") + runIdJson.Length;

        var bodies = new List<byte[]>();
        int nextParam = 0, nextTag = 0, nextMetric = 0;
        while (nextParam < paramItems.Length || nextTag < tagItems.Length || nextMetric < metricItems.Length)
        {
            int size = overhead, items = 0;
            int Take(byte[][] source, ref int next, int kindLimit)
            {
                int start = next;
                while (next < source.Length && next - start < kindLimit && items < MaxItemsPerBatch
                       && size + source[next].Length + (next > start ? 1 : 0) <= MaxBatchBodyCharacters)
                {
                    size += source[next].Length + (next > start ? 1 : 0);
                    items++;
                    next++;
                }
                return start;
            }
            int paramStart = Take(paramItems, ref nextParam, MaxParamsPerBatch);
            int tagStart = Take(tagItems, ref nextTag, MaxTagsPerBatch);
            int metricStart = Take(metricItems, ref nextMetric, MaxMetricsPerBatch);
            if (items == 0) throw new ArgumentException("One log-batch item is larger than MLflow's 1,000,000-character request limit.");

            var body = new ArrayBufferWriter<byte>(size);
            void Append(ReadOnlySpan<byte> bytes) => body.Write(bytes);
            void AppendArray(string name, byte[][] source, int from, int to)
            {
                Append(Encoding.ASCII.GetBytes($"\"{name}\":["));
                for (int i = from; i < to; i++)
                {
                    if (i > from) Append(","u8);
                    Append(source[i]);
                }
                Append("]"u8);
            }
            Append("{\"run_id\":"u8);
            Append(runIdJson);
            Append(","u8);
            AppendArray("metrics", metricItems, metricStart, nextMetric);
            Append(","u8);
            AppendArray("params", paramItems, paramStart, nextParam);
            Append(","u8);
            AppendArray("tags", tagItems, tagStart, nextTag);
            Append("}"u8);
            bodies.Add(body.WrittenSpan.ToArray());
        }
        return bodies;
    }

    private static void WriteMetric(Utf8JsonWriter writer, MetricPoint metric)
    {
        writer.WriteStartObject();
        writer.WriteString("key", metric.Key);
        if (double.IsNaN(metric.Value)) writer.WriteString("value", "NaN");
        else if (double.IsPositiveInfinity(metric.Value)) writer.WriteString("value", "Infinity");
        else if (double.IsNegativeInfinity(metric.Value)) writer.WriteString("value", "-Infinity");
        else writer.WriteNumber("value", metric.Value);
        writer.WriteNumber("timestamp", metric.Timestamp);
        writer.WriteNumber("step", metric.Step);
        writer.WriteEndObject();
    }

    private static void WriteKeyValue(Utf8JsonWriter writer, string key, string value)
    {
        writer.WriteStartObject();
        writer.WriteString("key", key);
        writer.WriteString("value", value);
        writer.WriteEndObject();
    }

    private static void WriteKeyValues(Utf8JsonWriter writer, string name, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        writer.WriteStartArray(name);
        foreach (var (key, value) in pairs) WriteKeyValue(writer, key, value);
        writer.WriteEndArray();
    }

    private static byte[] Json(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private async Task<(string Id, bool Deleted)?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync($"experiments/get-by-name?experiment_name={Uri.EscapeDataString(name)}", $"experiments/get-by-name '{name}'", answer =>
            {
                var experiment = answer.GetProperty("experiment");
                return ((string Id, bool Deleted)?)(experiment.GetProperty("experiment_id").GetString()!,
                    experiment.TryGetProperty("lifecycle_stage", out var stage) && stage.GetString() == "deleted");
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (TrackingException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST" || (e.StatusCode == 404 && !e.IsTransient))
        {
            return null;
        }
    }

    private static RunInfo ReadRunInfo(JsonElement info) => new(
        info.GetProperty("experiment_id").GetString()!,
        (info.TryGetProperty("run_id", out var id) ? id : info.GetProperty("run_uuid")).GetString()!,
        info.TryGetProperty("artifact_uri", out var artifacts) ? artifacts.GetString() ?? "" : "");

    private Task<T> GetAsync<T>(string endpoint, string operation, Func<JsonElement, T> read, CancellationToken cancellationToken) =>
        ReadAsync(SendAsync(HttpMethod.Get, new Uri($"{_base}/api/2.0/mlflow/{endpoint}"), () => null, operation, cancellationToken), operation, read);

    private Task<T> PostAsync<T>(string endpoint, byte[] body, string operation, Func<JsonElement, T> read, CancellationToken cancellationToken) =>
        ReadAsync(SendAsync(HttpMethod.Post, new Uri($"{_base}/api/2.0/mlflow/{endpoint}"), () =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = JsonContentType;
            return content;
        }, operation, cancellationToken), operation, read);

    /// <summary>Reads a successful answer; an answer that is not the JSON MLflow sends (a proxy's page, another API) is a refusal.</summary>
    private async Task<T> ReadAsync<T>(Task<byte[]> answer, string operation, Func<JsonElement, T> read)
    {
        byte[] body = await answer.ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
            return read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new TrackingException($"The server {Location} answered {operation} with something other than MLflow's JSON ({e.Message}).", isTransient: false, innerException: e);
        }
    }

    /// <summary>
    /// Sends a request, retrying 408, 429, 500, 502, 503, 504 (unless the error is definite), connection errors and
    /// timeouts with exponential backoff and jitter, or the server's Retry-After; returns the body of the 2xx answer.
    /// </summary>
    private async Task<byte[]> SendAsync(HttpMethod method, Uri url, Func<HttpContent?> createContent, string operation, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            string failure;
            int? lastStatus = null;
            string? lastCode = null;
            TimeSpan? retryAfter = null;
            using (var request = new HttpRequestMessage(method, url) { Content = createContent() })
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                request.Headers.Authorization = _authorization;
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                    byte[] body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode) return body;
                    int status = (int)response.StatusCode;
                    var (code, message) = ParseError(body);
                    string said = $"HTTP {status}{(code is null ? "" : " " + code)}{(message is null ? "" : ": " + message)}";
                    if (IsParamConflict(status, code, message))
                        throw new InvalidOperationException($"The MLflow server {Location} refused {operation}: a param was already logged with a different value, and MLflow params cannot change ({said}).");
                    if (!RetryableStatuses.Contains(status) || (code is not null && DefiniteErrorCodes.Contains(code)))
                        throw new TrackingException($"The MLflow server {Location} refused {operation} ({said}).", isTransient: false, status, code);
                    failure = said;
                    lastStatus = status;
                    lastCode = code;
                    retryAfter = RetryAfter(response);
                }
                catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError)
                {
                    throw new TrackingException($"The MLflow server {Location} failed the TLS handshake for {operation} ({e.Message}); see MLFLOW_TRACKING_SERVER_CERT_PATH (to trust its certificate) and MLFLOW_TRACKING_CLIENT_CERT_PATH (if it requires a client certificate).", isTransient: false, innerException: e);
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    failure = e.InnerException is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } ended ? ended.Message : e.Message;
                    // Over TLS 1.3 a server that requires a client certificate accepts the handshake and then closes the
                    // connection: all the client sees is an answer that ends before it began.
                    if (ServerUri.Scheme == Uri.UriSchemeHttps && _options.ClientCertificatePath is null && e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or { InnerException: HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } })
                        failure += " If the server requires a client certificate, set MLFLOW_TRACKING_CLIENT_CERT_PATH.";
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"no answer within {_options.RequestTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
                }
            }
            if (attempt >= _options.MaxRetries)
                throw new TrackingException($"The MLflow server {Location} did not complete {operation} in {attempt + 1} attempts (last: {failure}).", isTransient: true, lastStatus, lastCode);
            await Task.Delay(Backoff(attempt + 1, retryAfter), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based): the server's Retry-After, else factor·2^(retry-1), both capped, plus jitter for the latter.</summary>
    internal TimeSpan Backoff(int retry, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked) return asked < TimeSpan.Zero ? TimeSpan.Zero : asked > _options.BackoffCap ? _options.BackoffCap : asked;
        double exponential = Math.Min(_options.BackoffCap.TotalSeconds, _options.BackoffFactor.TotalSeconds * Math.Pow(2, retry - 1));
        return TimeSpan.FromSeconds(exponential + Random.Shared.NextDouble() * _options.BackoffJitter.TotalSeconds);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };

    private static (string? Code, string? Message) ParseError(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, null);
            return (root.TryGetProperty("error_code", out var code) ? code.GetString() : null,
                root.TryGetProperty("message", out var message) ? message.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null); // an HTML error page from a proxy
        }
    }

    /// <summary>MLflow's answer to a param logged again with a different value: INVALID_PARAMETER_VALUE, as 400 or (from some stores) 500.</summary>
    private static bool IsParamConflict(int status, string? code, string? message) =>
        status is 400 or 500 && code == "INVALID_PARAMETER_VALUE" && message is not null
        && (message.Contains("Changing param values is not allowed", StringComparison.OrdinalIgnoreCase)
            || (message.Contains("param", StringComparison.OrdinalIgnoreCase) && message.Contains("already logged", StringComparison.OrdinalIgnoreCase)));

    private static AuthenticationHeaderValue? Authorization(string? user, string? password, string? token) =>
        !string.IsNullOrEmpty(user) && password is not null
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")))
            : !string.IsNullOrEmpty(token) ? new AuthenticationHeaderValue("Bearer", token) : null;

    private static SocketsHttpHandler CreateHandler(RestStoreOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.RequestTimeout,
        };
        if (options.InsecureTls)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (options.ServerCertificatePath is { } path)
        {
            var authorities = LoadCertificateFile("MLFLOW_TRACKING_SERVER_CERT_PATH", path, "a PEM or DER file with the certificate of the authority that signed the server's certificate", () =>
            {
                var found = new X509Certificate2Collection();
                found.ImportFromPemFile(path);
                if (found.Count == 0) found.Add(X509CertificateLoader.LoadCertificateFromFile(path));
                return found;
            });
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(authorities);
            handler.SslOptions.CertificateChainPolicy = policy;
        }
        if (options.ClientCertificatePath is { } clientPath)
        {
            var client = LoadCertificateFile("MLFLOW_TRACKING_CLIENT_CERT_PATH", clientPath, "a PEM file with the client certificate and its unencrypted private key", () =>
            {
                // The key read from PEM is ephemeral; a PKCS#12 round trip gives a certificate every platform's TLS can present.
                using var pem = X509Certificate2.CreateFromPemFile(clientPath);
                if (!pem.HasPrivateKey) throw new CryptographicException("the file has no private key");
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            });
            handler.SslOptions.ClientCertificates = [client];
        }
        return handler;
    }

    /// <summary>Loads a certificate file named by a variable; a missing or unreadable file is one error naming the variable and what it must hold.</summary>
    private static T LoadCertificateFile<T>(string variable, string path, string expected, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"{variable} = '{path}' cannot be used ({e.Message}); expected {expected}.", e);
        }
    }
}
