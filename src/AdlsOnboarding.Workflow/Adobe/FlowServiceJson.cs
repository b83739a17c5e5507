using System.Text.Json;
using System.Text.Json.Serialization;
using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Workflow.Adobe;

// The Flow Service's JSON, as records the source generator reads and writes (FlowServiceJsonContext). Request bodies
// are written from them; responses are read into them and mapped to the public models (FlowServiceModels.cs).

/// <summary><c>POST /connections</c>.</summary>
internal sealed record CreateConnectionBody(string Name, string Description, AuthBody Auth, ConnectionSpecReference ConnectionSpec);

internal sealed record AuthBody(string SpecName, AuthParamsBody Params);

/// <summary>The four auth params as sent: the one place a service principal key is written as JSON.</summary>
internal sealed record AuthParamsBody(
    string Url,
    string ServicePrincipalId,
    [property: JsonConverter(typeof(RequestBodySecretConverter))] SensitiveString ServicePrincipalKey,
    string Tenant)
{
    public static AuthParamsBody From(AdlsGen2AuthParams auth) => new(auth.Url, auth.ServicePrincipalId, auth.ServicePrincipalKey, auth.Tenant);
}

internal sealed record ConnectionSpecReference(string Id, string Version);

/// <summary>One operation of a <c>PATCH /connections/{id}</c> JSON Patch (written only, without a type discriminator).</summary>
[JsonDerivedType(typeof(ReplaceAuthParams))]
[JsonDerivedType(typeof(ReplaceName))]
internal abstract record PatchOperation([property: JsonPropertyOrder(-2)] string Op, [property: JsonPropertyOrder(-1)] string Path);

/// <summary>Replaces the whole <c>/auth/params</c> object, so all four params are sent.</summary>
internal sealed record ReplaceAuthParams(AuthParamsBody Value) : PatchOperation("replace", "/auth/params");

internal sealed record ReplaceName(string Value) : PatchOperation("replace", "/name");

/// <summary>The answer to a create or an update: <c>{"id":…,"etag":"\"…\""}</c>.</summary>
internal sealed record IdsBody(string? Id, string? Etag);

/// <summary>A page of <c>GET /connections</c> (and the answer of <c>GET /connections/{id}</c>, one item).</summary>
internal sealed record ConnectionPage(IReadOnlyList<ConnectionItem>? Items, [property: JsonPropertyName("_links")] PageLinks? Links);

internal sealed record PageLinks(PageLink? Next);

internal sealed record PageLink(string? Href);

/// <summary>A connection as Adobe shows it; credentials are not read back.</summary>
internal sealed record ConnectionItem(
    string? Id,
    string? Name,
    string? Etag,
    string? Version,
    SpecView? ConnectionSpec,
    AuthView? Auth,
    long? CreatedAt,
    string? State,
    string? CreatedClient,
    string? UpdatedClient)
{
    public FlowConnection ToConnection() => new(
        Id ?? "", Name, Etag ?? Version, ConnectionSpec?.Id, Auth?.Params?.Url, Auth?.Params?.ServicePrincipalId, Auth?.Params?.Tenant, CreatedAt, State, CreatedClient, UpdatedClient);
}

internal sealed record SpecView(string? Id);

internal sealed record AuthView(AuthParamsView? Params);

internal sealed record AuthParamsView(string? Url, string? ServicePrincipalId, string? Tenant);

/// <summary><c>GET /connections/{id}/test</c>.</summary>
internal sealed record TestResultBody(bool? Result);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CreateConnectionBody))]
[JsonSerializable(typeof(IReadOnlyList<PatchOperation>))]
[JsonSerializable(typeof(IdsBody))]
[JsonSerializable(typeof(ConnectionPage))]
[JsonSerializable(typeof(TestResultBody))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class FlowServiceJsonContext : JsonSerializerContext;

/// <summary>
/// Writes a <see cref="SensitiveString"/>'s value: named only by <see cref="AuthParamsBody.ServicePrincipalKey"/>, so
/// a key reaches JSON in a Flow Service request body and nowhere else (the type's own converter refuses it).
/// </summary>
internal sealed class RequestBodySecretConverter : JsonConverter<SensitiveString>
{
    public override SensitiveString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new JsonException("A secret is never read from JSON.");

    public override void Write(Utf8JsonWriter writer, SensitiveString value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Reveal());
}
