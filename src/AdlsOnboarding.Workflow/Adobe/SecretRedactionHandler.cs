using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// The error body of a request that carries a secret (<see cref="FlowServiceRequest.CarriedSecret"/>), with every
/// quotation of it removed before anything reads it: Adobe's error text is passed on (record, 422, history, logs), and
/// an error that quotes the create or update body would otherwise expose the service principal key.
/// </summary>
internal sealed class SecretRedactionHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || !request.Options.TryGetValue(FlowServiceRequest.CarriedSecret, out SensitiveString? secret))
        {
            return response;
        }

        HttpContent original = response.Content;
        string text = await original.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        ByteArrayContent redacted = new(Encoding.UTF8.GetBytes(WithoutSecret(text, secret)));
        foreach (KeyValuePair<string, IEnumerable<string>> header in original.Headers.Where(h => h.Key is not ("Content-Length" or "Content-Type")))
        {
            redacted.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (original.Headers.ContentType is { } type)
        {
            redacted.Headers.ContentType = new MediaTypeHeaderValue(type.MediaType ?? "application/json") { CharSet = Encoding.UTF8.WebName };
        }

        response.Content = redacted;
        original.Dispose();
        return response;
    }

    /// <summary>The text with every quotation of the secret, as sent or as JSON escapes it, replaced by <c>[redacted]</c>.</summary>
    internal static string WithoutSecret(string text, SensitiveString secret)
    {
        string value = secret.Reveal();
        if (string.IsNullOrEmpty(value))
        {
            return text;
        }

        foreach (string form in new[] { value, JsonEncodedText.Encode(value).ToString(), JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString() })
        {
            text = text.Replace(form, "[redacted]", StringComparison.Ordinal);
        }

        return text;
    }
}
