using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QForge.Tracking.Tests;

/// <summary>
/// The REST client against the fake server over HTTPS with a self-signed certificate: refused by default with a message
/// naming the fix, trusted through MLFLOW_TRACKING_SERVER_CERT_PATH, or accepted with MLFLOW_TRACKING_INSECURE_TLS;
/// and a server that requires a client certificate (mutual TLS), presented from MLFLOW_TRACKING_CLIENT_CERT_PATH.
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

    private static X509Certificate2 SelfSigned(string subject = "CN=qforge-test-mlflow")
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
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

    [Fact]
    public async Task A_client_certificate_from_the_client_cert_path_is_presented_to_a_server_that_requires_one()
    {
        using var client = SelfSigned("CN=qforge-test-client");
        await using var server = await FakeMlflowServer.StartAsync(_certificate, requiredClient: client);
        string clientPem = _temp.Combine("client.pem");
        await File.WriteAllTextAsync(clientPem, client.ExportCertificatePem() + "\n" + client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var options = RestStoreOptions.FromEnvironment(key => key switch
        {
            "MLFLOW_TRACKING_INSECURE_TLS" => "true",
            "MLFLOW_TRACKING_CLIENT_CERT_PATH" => clientPem,
            _ => null,
        });
        Assert.Equal(clientPem, options.ClientCertificatePath);
        using var store = new RestStore(server.Uri, options);
        string id = await store.GetOrCreateExperimentAsync("mutual");
        var run = await store.StartRunAsync(id, "mutual", new Dictionary<string, string>(), 1_000);
        await store.EndRunAsync(run, RunState.Finished, 2_000);
        Assert.Equal("FINISHED", server.State.Runs[run.RunId].Status);
    }

    [Fact]
    public async Task A_server_that_requires_a_client_certificate_refuses_a_client_without_one_with_the_setting_that_fixes_it()
    {
        using var client = SelfSigned("CN=qforge-test-client");
        await using var server = await FakeMlflowServer.StartAsync(_certificate, requiredClient: client);
        using var store = new RestStore(server.Uri, new RestStoreOptions { InsecureTls = true, MaxRetries = 1, BackoffFactor = TimeSpan.Zero, BackoffJitter = TimeSpan.Zero });
        var error = await Assert.ThrowsAsync<TrackingException>(() => store.GetOrCreateExperimentAsync("mutual"));
        Assert.Contains("ended prematurely", error.Message);
        Assert.Contains("If the server requires a client certificate, set MLFLOW_TRACKING_CLIENT_CERT_PATH.", error.Message);
        Assert.DoesNotContain(server.State.Experiments, e => e.Name == "mutual");
    }

    [Theory]
    [InlineData("MLFLOW_TRACKING_CLIENT_CERT_PATH", "missing", "unencrypted private key")]
    [InlineData("MLFLOW_TRACKING_CLIENT_CERT_PATH", "certificate only", "unencrypted private key")]
    [InlineData("MLFLOW_TRACKING_CLIENT_CERT_PATH", "not a certificate", "unencrypted private key")]
    [InlineData("MLFLOW_TRACKING_SERVER_CERT_PATH", "missing", "authority that signed the server's certificate")]
    [InlineData("MLFLOW_TRACKING_SERVER_CERT_PATH", "not a certificate", "authority that signed the server's certificate")]
    public async Task An_unusable_certificate_file_is_one_error_naming_the_variable_and_what_it_must_hold(string variable, string content, string expected)
    {
        string path = _temp.Combine("certificate.pem");
        if (content == "certificate only") await File.WriteAllTextAsync(path, _certificate.ExportCertificatePem());
        else if (content == "not a certificate") await File.WriteAllTextAsync(path, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        var options = RestStoreOptions.FromEnvironment(key => key == variable ? path : null);
        var error = Assert.Throws<ArgumentException>(() => new RestStore(_server.Uri, options));
        Assert.StartsWith($"{variable} = '{path}' cannot be used (", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
