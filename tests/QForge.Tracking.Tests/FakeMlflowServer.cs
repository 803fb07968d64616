using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QForge.Tracking.Tests;

/// <summary>
/// An in-process MLflow tracking server on 127.0.0.1 (a free port): the REST API 2.0 endpoints QForge uses, with
/// MLflow's validation (log-batch limits, param conflicts, metric values) and fault injection. Its state survives
/// <see cref="StopAsync"/> and <see cref="RestartAsync"/>, which listens again on the same port. Metrics are stored as
/// sent, with no de-duplication, so a client that sends a value twice is caught.
/// </summary>
internal sealed class FakeMlflowServer : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly X509Certificate2? _certificate;
    private readonly X509Certificate2? _requiredClient;

    private FakeMlflowServer(X509Certificate2? certificate, X509Certificate2? requiredClient)
    {
        _certificate = certificate;
        _requiredClient = requiredClient;
    }

    public FakeMlflowState State { get; } = new();

    public int Port { get; private set; }

    public Uri Uri => new($"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}");

    /// <summary>
    /// Starts the server; over HTTPS with <paramref name="certificate"/> when one is given, and then refusing every
    /// client that does not present <paramref name="requiredClient"/> when that is given (mutual TLS).
    /// </summary>
    public static async Task<FakeMlflowServer> StartAsync(X509Certificate2? certificate = null, X509Certificate2? requiredClient = null)
    {
        var server = new FakeMlflowServer(certificate, requiredClient);
        await server.ListenAsync(0);
        return server;
    }

    /// <summary>Listens again on the same port after <see cref="StopAsync"/>.</summary>
    public Task RestartAsync() => ListenAsync(Port);

    /// <summary>Stops listening (requests in flight complete); connections are then refused.</summary>
    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, port, listen =>
        {
            if (_certificate is null) return;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateMode = _requiredClient is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (presented, _, _) => presented.Thumbprint == _requiredClient?.Thumbprint,
            });
        }));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Port = new Uri(address).Port;
        _app = app;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string path = request.Path.Value ?? "";
        string endpoint = path.StartsWith("/api/2.0/mlflow/", StringComparison.Ordinal) ? path["/api/2.0/mlflow/".Length..]
            : path.StartsWith("/api/2.0/mlflow-artifacts/artifacts/", StringComparison.Ordinal) ? "artifacts"
            : path;
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        string authorization = request.Headers.Authorization.ToString();
        var (status, answer, retryAfter) = await AnswerAsync(context, endpoint, path, body, authorization);
        State.Record(new RecordedRequest(request.Method, endpoint, status, DateTimeOffset.UtcNow, authorization,
            endpoint == "runs/log-batch" ? Encoding.UTF8.GetString(body) : ""));
        context.Response.StatusCode = status;
        if (retryAfter is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private async Task<(int Status, JsonNode Answer, int? RetryAfter)> AnswerAsync(HttpContext context, string endpoint, string path, byte[] body, string authorization)
    {
        if (State.RequiredAuthorization is { } required && authorization != required)
            return (401, Error("UNAUTHENTICATED", "You are not authenticated. Please see the documentation for details."), null);
        if (State.TakeFault(endpoint) is { } fault)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(fault.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return (fault.Status, Error(fault.Status == 429 ? "REQUEST_LIMIT_EXCEEDED" : "TEMPORARILY_UNAVAILABLE", "injected fault"), fault.RetryAfterSeconds);
        }
        try
        {
            var method = context.Request.Method;
            if (method == "POST" && !(context.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal))
                return (400, Error("BAD_REQUEST", "Content-Type must be application/json"), null);
            lock (State.Gate)
            {
                return (method, endpoint) switch
                {
                    ("GET", "experiments/get-by-name") => GetExperimentByName(context.Request.Query["experiment_name"].ToString()),
                    ("POST", "experiments/create") => CreateExperiment(JsonNode.Parse(body)!),
                    ("POST", "runs/create") => CreateRun(JsonNode.Parse(body)!),
                    ("POST", "runs/update") => UpdateRun(JsonNode.Parse(body)!),
                    ("POST", "runs/log-batch") => LogBatch(JsonNode.Parse(body)!, Encoding.UTF8.GetString(body).Length),
                    ("POST", "runs/search") => SearchRuns(JsonNode.Parse(body)!),
                    ("GET", "runs/get") => GetRun(context.Request.Query["run_id"].ToString()),
                    ("GET", "metrics/get-history") => GetHistory(context.Request.Query["run_id"].ToString(), context.Request.Query["metric_key"].ToString()),
                    ("PUT", "artifacts") => PutArtifact(Uri.UnescapeDataString(path["/api/2.0/mlflow-artifacts/artifacts/".Length..]), body),
                    _ => (404, Error("ENDPOINT_NOT_FOUND", $"No endpoint {method} {path}"), (int?)null),
                };
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or KeyNotFoundException)
        {
            return (400, Error("BAD_REQUEST", $"Malformed request: {e.Message}"), null);
        }
    }

    private (int, JsonNode, int?) GetExperimentByName(string name)
    {
        var experiment = State.Experiments.FirstOrDefault(e => e.Name == name);
        return experiment is null
            ? (404, Error("RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'"), null)
            : (200, new JsonObject { ["experiment"] = experiment.ToJson() }, null);
    }

    private (int, JsonNode, int?) CreateExperiment(JsonNode request)
    {
        string name = request["name"]!.GetValue<string>();
        if (State.CreateExperimentRace)
        {
            // Another client creates the same experiment between this client's lookup and its create.
            State.CreateExperimentRace = false;
            State.AddExperiment(name);
        }
        if (State.Experiments.Any(e => e.Name == name))
            return (400, Error("RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists."), null);
        return (200, new JsonObject { ["experiment_id"] = State.AddExperiment(name).Id }, null);
    }

    private (int, JsonNode, int?) CreateRun(JsonNode request)
    {
        string experimentId = request["experiment_id"]!.GetValue<string>();
        if (State.Experiments.All(e => e.Id != experimentId))
            return (404, Error("RESOURCE_DOES_NOT_EXIST", $"No experiment with id {experimentId}"), null);
        var tags = KeyValues(request["tags"]);
        string runName = request["run_name"]?.GetValue<string>() ?? tags.GetValueOrDefault("mlflow.runName", "run");
        if (tags.TryGetValue("mlflow.runName", out var tagged) && tagged != runName)
            return (400, Error("INVALID_PARAMETER_VALUE", "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values"), null);
        tags["mlflow.runName"] = runName;
        string runId = Guid.NewGuid().ToString("N");
        var run = new FakeRun(runId, experimentId, runName, request["user_id"]?.GetValue<string>() ?? "", request["start_time"]!.GetValue<long>(), tags);
        State.Runs[runId] = run;
        return (200, new JsonObject { ["run"] = run.ToJson() }, null);
    }

    private (int, JsonNode, int?) UpdateRun(JsonNode request)
    {
        if (!State.Runs.TryGetValue(request["run_id"]!.GetValue<string>(), out var run))
            return (404, Error("RESOURCE_DOES_NOT_EXIST", "Run not found"), null);
        string status = request["status"]!.GetValue<string>();
        if (status is not ("RUNNING" or "FINISHED" or "FAILED" or "KILLED" or "SCHEDULED"))
            return (400, Error("INVALID_PARAMETER_VALUE", $"Invalid status {status}"), null);
        run.Status = status;
        if (request["end_time"] is { } end) run.EndTime = end.GetValue<long>();
        return (200, new JsonObject { ["run_info"] = run.InfoJson() }, null);
    }

    private (int, JsonNode, int?) LogBatch(JsonNode request, int characters)
    {
        if (!State.Runs.TryGetValue(request["run_id"]!.GetValue<string>(), out var run))
            return (404, Error("RESOURCE_DOES_NOT_EXIST", "Run not found"), null);
        var metrics = request["metrics"]?.AsArray() ?? [];
        var parameters = request["params"]?.AsArray() ?? [];
        var tags = request["tags"]?.AsArray() ?? [];
        string? limit = characters > 1_000_000 ? $"the request body has {characters} characters, more than 1000000"
            : metrics.Count > 1000 ? $"A batch logging request can contain at most 1000 metrics. Got {metrics.Count} metrics."
            : parameters.Count > 100 ? $"A batch logging request can contain at most 100 params. Got {parameters.Count} params."
            : tags.Count > 100 ? $"A batch logging request can contain at most 100 tags. Got {tags.Count} tags."
            : metrics.Count + parameters.Count + tags.Count > 1000 ? "A batch logging request can contain at most 1000 metrics, params, and tags in total."
            : null;
        if (limit is not null) return (400, Error("INVALID_PARAMETER_VALUE", limit), null);

        var newMetrics = new List<MetricPoint>();
        foreach (var metric in metrics)
        {
            string key = metric!["key"]!.GetValue<string>();
            var value = metric["value"]!.AsValue();
            double number;
            if (value.GetValueKind() == JsonValueKind.Number) number = value.GetValue<double>();
            else if (value.GetValue<string>() is var text && text is "NaN" or "Infinity" or "-Infinity") number = double.Parse(text, CultureInfo.InvariantCulture);
            else return (400, Error("INVALID_PARAMETER_VALUE", $"Got invalid value {value.ToJsonString()} for metric '{key}'"), null);
            newMetrics.Add(new MetricPoint(key, number, metric["step"]?.GetValue<long>() ?? 0, metric["timestamp"]!.GetValue<long>()));
        }
        var newParams = new Dictionary<string, string>();
        foreach (var parameter in parameters)
        {
            string key = parameter!["key"]!.GetValue<string>(), value = parameter["value"]!.GetValue<string>();
            string? logged = run.Params.TryGetValue(key, out var existing) ? existing : newParams.GetValueOrDefault(key);
            if (logged is not null && logged != value)
                return (State.ParamConflictStatus, Error("INVALID_PARAMETER_VALUE",
                    $"Changing param values is not allowed. Param with key='{key}' was already logged with value='{logged}' for run ID='{run.RunId}'. Attempted logging new value '{value}'."), null);
            newParams[key] = value;
        }
        foreach (var (key, value) in newParams) run.Params[key] = value;
        run.Metrics.AddRange(newMetrics);
        foreach (var (key, value) in KeyValues(tags)) run.Tags[key] = value;
        State.Batches.Add(new LogBatchShape(newMetrics.Count, parameters.Count, tags.Count, characters));
        return (200, new JsonObject(), null);
    }

    private (int, JsonNode, int?) SearchRuns(JsonNode request)
    {
        var experimentIds = request["experiment_ids"]!.AsArray().Select(e => e!.GetValue<string>()).ToHashSet();
        string filter = request["filter"]?.GetValue<string>() ?? "";
        var runs = State.Runs.Values.Where(r => experimentIds.Contains(r.ExperimentId));
        if (filter.Length > 0)
        {
            var match = Regex.Match(filter, @"^tags\.(`(?<key>[^`]+)`|(?<key>[\w.\-/ ]+?))\s*=\s*'(?<value>(?:[^'\\]|\\.)*)'$");
            if (!match.Success) return (400, Error("INVALID_PARAMETER_VALUE", $"Unsupported filter {filter}"), null);
            string key = match.Groups["key"].Value, value = match.Groups["value"].Value.Replace("\\'", "'");
            runs = runs.Where(r => r.Tags.GetValueOrDefault(key) == value);
        }
        int max = request["max_results"]?.GetValue<int>() ?? 1000;
        return (200, new JsonObject { ["runs"] = new JsonArray(runs.Take(max).Select(r => (JsonNode)r.ToJson()).ToArray()) }, null);
    }

    private (int, JsonNode, int?) GetRun(string runId) =>
        State.Runs.TryGetValue(runId, out var run)
            ? (200, new JsonObject { ["run"] = run.ToJson() }, null)
            : (404, Error("RESOURCE_DOES_NOT_EXIST", $"Run '{runId}' not found"), null);

    private (int, JsonNode, int?) GetHistory(string runId, string key)
    {
        if (!State.Runs.TryGetValue(runId, out var run)) return (404, Error("RESOURCE_DOES_NOT_EXIST", $"Run '{runId}' not found"), null);
        return (200, new JsonObject { ["metrics"] = new JsonArray(run.Metrics.Where(m => m.Key == key).Select(m => (JsonNode)MetricJson(m)).ToArray()) }, null);
    }

    private (int, JsonNode, int?) PutArtifact(string path, byte[] body)
    {
        string[] parts = path.Split('/', 4);
        if (parts.Length < 4 || parts[2] != "artifacts" || !State.Runs.TryGetValue(parts[1], out var run) || run.ExperimentId != parts[0])
            return (400, Error("INVALID_PARAMETER_VALUE", $"Bad artifact path {path}"), null);
        run.Artifacts[parts[3]] = body;
        return (200, new JsonObject(), null);
    }

    internal static JsonObject MetricJson(MetricPoint metric) => new()
    {
        ["key"] = metric.Key,
        ["value"] = double.IsNaN(metric.Value) ? "NaN" : double.IsPositiveInfinity(metric.Value) ? "Infinity" : double.IsNegativeInfinity(metric.Value) ? "-Infinity" : JsonValue.Create(metric.Value),
        ["timestamp"] = metric.Timestamp,
        ["step"] = metric.Step,
    };

    private static Dictionary<string, string> KeyValues(JsonNode? array)
    {
        var values = new Dictionary<string, string>();
        foreach (var item in array?.AsArray() ?? []) values[item!["key"]!.GetValue<string>()] = item["value"]!.GetValue<string>();
        return values;
    }

    private static JsonObject Error(string code, string message) => new() { ["error_code"] = code, ["message"] = message };
}

/// <summary>What the fake server holds and how it misbehaves; lock <see cref="Gate"/> to read it while requests run.</summary>
internal sealed class FakeMlflowState
{
    private readonly List<Fault> _faults = [];
    private readonly List<RecordedRequest> _requests = [];
    private int _nextExperimentId = 1;

    public FakeMlflowState() => Experiments.Add(new FakeExperiment("0", "Default"));

    public object Gate { get; } = new();

    public List<FakeExperiment> Experiments { get; } = [];

    public Dictionary<string, FakeRun> Runs { get; } = [];

    public List<LogBatchShape> Batches { get; } = [];

    /// <summary>HTTP status of a param-conflict answer: 400 (MLflow's SQL store) or 500 (some stores).</summary>
    public int ParamConflictStatus { get; set; } = 400;

    /// <summary>The next experiments/create finds the experiment created by a rival client a moment before.</summary>
    public bool CreateExperimentRace { get; set; }

    /// <summary>When set, every request must carry exactly this Authorization header.</summary>
    public string? RequiredAuthorization { get; set; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (Gate) return _requests.ToList();
        }
    }

    /// <summary>The next <paramref name="times"/> requests to <paramref name="endpoint"/> answer <paramref name="status"/> (after <paramref name="delay"/>), without being processed.</summary>
    public void Fail(string endpoint, int times, int status, int? retryAfterSeconds = null, TimeSpan delay = default)
    {
        lock (Gate) _faults.Add(new Fault(endpoint, times, status, retryAfterSeconds, delay));
    }

    public FakeRun SingleRun(string experimentName)
    {
        lock (Gate)
        {
            string id = Experiments.Single(e => e.Name == experimentName).Id;
            return Runs.Values.Single(r => r.ExperimentId == id);
        }
    }

    public List<MetricPoint> Metrics(string runId, string key)
    {
        lock (Gate) return Runs[runId].Metrics.Where(m => m.Key == key).ToList();
    }

    internal FakeExperiment AddExperiment(string name)
    {
        var experiment = new FakeExperiment((_nextExperimentId++).ToString(CultureInfo.InvariantCulture), name);
        Experiments.Add(experiment);
        return experiment;
    }

    internal Fault? TakeFault(string endpoint)
    {
        lock (Gate)
        {
            var fault = _faults.FirstOrDefault(f => f.Endpoint == endpoint && f.Remaining > 0);
            if (fault is null) return null;
            fault.Remaining--;
            return fault;
        }
    }

    internal void Record(RecordedRequest request)
    {
        lock (Gate) _requests.Add(request);
    }

    internal sealed class Fault(string endpoint, int times, int status, int? retryAfterSeconds, TimeSpan delay)
    {
        public string Endpoint { get; } = endpoint;
        public int Remaining { get; set; } = times;
        public int Status { get; } = status;
        public int? RetryAfterSeconds { get; } = retryAfterSeconds;
        public TimeSpan Delay { get; } = delay;
    }
}

internal sealed record RecordedRequest(string Method, string Endpoint, int Status, DateTimeOffset Time, string Authorization, string LogBatchBody);

internal sealed record LogBatchShape(int Metrics, int Params, int Tags, int Characters);

internal sealed class FakeExperiment(string id, string name)
{
    public string Id { get; } = id;
    public string Name { get; } = name;
    public string LifecycleStage { get; set; } = "active";

    public JsonObject ToJson() => new()
    {
        ["experiment_id"] = Id,
        ["name"] = Name,
        ["artifact_location"] = $"mlflow-artifacts:/{Id}",
        ["lifecycle_stage"] = LifecycleStage,
    };
}

internal sealed class FakeRun(string runId, string experimentId, string runName, string userId, long startTime, Dictionary<string, string> tags)
{
    public string RunId { get; } = runId;
    public string ExperimentId { get; } = experimentId;
    public string RunName { get; } = runName;
    public string UserId { get; } = userId;
    public long StartTime { get; } = startTime;
    public long? EndTime { get; set; }
    public string Status { get; set; } = "RUNNING";
    public string LifecycleStage { get; set; } = "active";
    public Dictionary<string, string> Tags { get; } = tags;
    public Dictionary<string, string> Params { get; } = [];
    public List<MetricPoint> Metrics { get; } = [];
    public Dictionary<string, byte[]> Artifacts { get; } = [];

    public JsonObject InfoJson() => new()
    {
        ["run_id"] = RunId,
        ["run_uuid"] = RunId,
        ["run_name"] = RunName,
        ["experiment_id"] = ExperimentId,
        ["user_id"] = UserId,
        ["status"] = Status,
        ["start_time"] = StartTime,
        ["end_time"] = EndTime,
        ["artifact_uri"] = $"mlflow-artifacts:/{ExperimentId}/{RunId}/artifacts",
        ["lifecycle_stage"] = LifecycleStage,
    };

    public JsonObject ToJson() => new()
    {
        ["info"] = InfoJson(),
        ["data"] = new JsonObject
        {
            ["metrics"] = new JsonArray(Metrics.GroupBy(m => m.Key).Select(g => (JsonNode)FakeMlflowServer.MetricJson(g.MaxBy(m => (m.Step, m.Timestamp, m.Value)))).ToArray()),
            ["params"] = new JsonArray(Params.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray()),
            ["tags"] = new JsonArray(Tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value }).ToArray()),
        },
    };
}
