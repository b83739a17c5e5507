using System.Globalization;
using System.Text.Json;
using AdlsOnboarding.Workflow.Failures;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>Where a failure's classification was read from.</summary>
public enum FailureSource
{
    /// <summary><c>TaskFailureDetails.Properties</c>, put there by <see cref="FailurePropertiesProvider"/>.</summary>
    Properties,

    /// <summary>The message prefix (<see cref="FailureMessage"/>): an older history, or a host that dropped the properties.</summary>
    Message,

    /// <summary>Neither: a crash or a bug, treated as transient.</summary>
    Unclassified,
}

/// <summary>
/// A failed activity as the orchestrator acts on it: a stable code, the detail to record, whether to retry and not
/// before when. The code is Adobe's (<c>1415-400</c>, <c>401013</c>) or ours (<c>SecretExpired</c>).
/// </summary>
public sealed record ClassifiedFailure(string Code, string Detail, bool IsTransient, TimeSpan? RetryAfter)
{
    public const string CodeProperty = "code";
    public const string TransientProperty = "transient";
    public const string RetryAfterMsProperty = "retryAfterMs";
    public const string UnexpectedCode = "Unexpected";

    /// <summary>
    /// Whether <see cref="Detail"/> is kept from the record and the caller: an unclassified exception's text, or a
    /// storage error's, says how the app is built and run, not what the caller can change. It goes to logs only.
    /// </summary>
    public bool IsDetailWithheld => Code is UnexpectedCode or AccountStoreException.ErrorCode;

    /// <summary>What the record and the caller are told: the detail, or a fixed sentence where it is withheld.</summary>
    public string PublicMessage => Code switch
    {
        UnexpectedCode => "The onboarding stopped on an unexpected error; the app's logs have the details (event 1005).",
        AccountStoreException.ErrorCode => "The account record could not be read or written; the app's logs have the details (event 1005).",
        _ => Detail,
    };

    /// <summary>The properties the orchestrator reads back with <see cref="Read"/>.</summary>
    public IDictionary<string, object?> ToProperties() => new Dictionary<string, object?>
    {
        [CodeProperty] = Code,
        [TransientProperty] = IsTransient,
        [RetryAfterMsProperty] = (long)(RetryAfter?.TotalMilliseconds ?? 0),
    };

    public static ClassifiedFailure Of(TaskFailureDetails failure) => Read(failure).Failure;

    /// <summary>
    /// Classifies a failure that ends an orchestration and logs the detail it withholds from the record and the caller
    /// (event 1005), through the orchestrator's replay-safe logger.
    /// </summary>
    public static ClassifiedFailure Of(TaskFailureDetails failure, ILogger logger, string instanceId)
    {
        ClassifiedFailure classified = Of(failure);
        if (classified.IsDetailWithheld)
        {
            Logs.FailureDetailWithheld(logger, instanceId, classified.Code, classified.Detail);
        }

        return classified;
    }

    /// <summary>
    /// Reads a failure from its properties (on it or, if a host wrapped the exception, on an inner failure), else from
    /// its message prefix; a failure with neither (a crash, a bug) counts as transient.
    /// </summary>
    public static (ClassifiedFailure Failure, FailureSource Source) Read(TaskFailureDetails failure)
    {
        for (TaskFailureDetails? current = failure; current is not null; current = current.InnerFailure)
        {
            if (FromProperties(current.Properties, current.ErrorMessage) is { } classified)
            {
                return (classified, FailureSource.Properties);
            }
        }

        return FromMessage(failure.ErrorMessage);
    }

    /// <summary>Reads the message prefix only (what histories written before the properties carry).</summary>
    public static (ClassifiedFailure Failure, FailureSource Source) FromMessage(string? message) =>
        FailureMessage.TryParse(message, out string code, out bool transient, out TimeSpan? retryAfter, out string detail)
            ? (new ClassifiedFailure(code, detail, transient, retryAfter), FailureSource.Message)
            : (new ClassifiedFailure(UnexpectedCode, message ?? "", IsTransient: true, RetryAfter: null), FailureSource.Unclassified);

    private static ClassifiedFailure? FromProperties(IDictionary<string, object?>? properties, string? message)
    {
        if (properties is null
            || !properties.TryGetValue(CodeProperty, out object? code) || Text(code) is not { Length: > 0 } codeText
            || !properties.TryGetValue(TransientProperty, out object? transient) || Flag(transient) is not { } isTransient)
        {
            return null;
        }

        long retryAfterMs = properties.TryGetValue(RetryAfterMsProperty, out object? ms) ? Milliseconds(ms) : 0;
        return new ClassifiedFailure(codeText, FailureMessage.DetailOf(message), isTransient, retryAfterMs > 0 ? TimeSpan.FromMilliseconds(retryAfterMs) : null);
    }

    // A property value arrives as whatever the transport made of it: protobuf numbers are doubles, JSON may stay JSON.
    private static string? Text(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => null,
    };

    private static bool? Flag(object? value) => value switch
    {
        bool b => b,
        string s when bool.TryParse(s, out bool parsed) => parsed,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        _ => null,
    };

    private static long Milliseconds(object? value) => value switch
    {
        null => 0,
        JsonElement { ValueKind: JsonValueKind.Number } e => (long)e.GetDouble(),
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) => (long)parsed,
        IConvertible convertible when value is not bool => (long)convertible.ToDouble(CultureInfo.InvariantCulture),
        _ => 0,
    };
}
