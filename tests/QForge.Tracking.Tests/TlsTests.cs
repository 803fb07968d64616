using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QForge.Tracking.Tests;

/// <summary>
/// The REST client against the fake server over HTTPS with a self-signed certificate: refused by default with a message
/// naming the fix, trusted through MLFLOW_TRACKING_SERVER_CERT_PATH, or accepted with MLFLOW_TRACKING_INSECURE_TLS.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly TempFolder _temp = new();
    private readonly X509Certificate2 _certificate = SelfSigned();
    private FakeMlflowServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeMlflowServer.StartAsync(_certificate);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
        _temp.Dispose();
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=qforge-test-mlflow", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel needs the key in a form it can use on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private static readonly RestStoreOptions Quick = new() { MaxRetries = 1, BackoffFactor = TimeSpan.Zero, BackoffJitter = TimeSpan.Zero, RequestTimeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task An_untrusted_certificate_is_refused_at_once_with_the_setting_that_fixes_it()
    {
        using var store = new RestStore(_server.Uri, Quick);
        var error = await Assert.ThrowsAsync<TrackingException>(() => store.GetOrCreateExperimentAsync("tls"));
        Assert.False(error.IsTransient);
        Assert.Contains("failed the TLS handshake", error.Message);
        Assert.Contains("MLFLOW_TRACKING_SERVER_CERT_PATH", error.Message);
        Assert.DoesNotContain(_server.State.Experiments, e => e.Name == "tls");
    }

    [Fact]
    public async Task The_server_certificate_path_trusts_a_private_authority()
    {
        string pem = _temp.Combine("server.pem");
        await File.WriteAllTextAsync(pem, _certificate.ExportCertificatePem());
        var options = RestStoreOptions.FromEnvironment(key => key switch
        {
            "MLFLOW_TRACKING_SERVER_CERT_PATH" => pem,
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES" => "1",
            _ => null,
        });
        using var store = new RestStore(_server.Uri, options);
        string id = await store.GetOrCreateExperimentAsync("tls");
        var run = await store.StartRunAsync(id, "secure", new Dictionary<string, string>(), 1_000);
        await store.EndRunAsync(run, RunState.Finished, 2_000);
        Assert.Equal("FINISHED", _server.State.Runs[run.RunId].Status);
    }

    [Fact]
    public async Task Insecure_tls_skips_verification_when_asked()
    {
        var options = RestStoreOptions.FromEnvironment(key => key == "MLFLOW_TRACKING_INSECURE_TLS" ? "true" : null);
        Assert.True(options.InsecureTls);
        using var store = new RestStore(_server.Uri, options);
        Assert.NotEmpty(await store.GetOrCreateExperimentAsync("insecure"));
    }
}
