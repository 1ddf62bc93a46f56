using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Queues.Internal;

/// <summary>
/// The unique key of one enqueue and the states in which it blocks another: a SHA-256 over the job name and either the
/// per-call key or the raw JSON text of the payload's <see cref="JobDefinition.UniqueBy"/> members. Our serializers
/// write a value the same way every time, so equal JSON text hashes equally; values equal in .NET but written
/// differently (1.0m and 1m, one instant at two offsets, dictionaries filled in another order) are different keys.
/// </summary>
internal static class UniqueKeys
{
    private static readonly string[][] s_states = CreateStates();

    /// <summary>Whether enqueues of <paramref name="job"/> with <paramref name="options"/> carry a key.</summary>
    public static bool Applies(JobDefinition job, EnqueueOptions? options) => options?.UniqueKey is not null || job.UniqueBy.Count > 0;

    /// <summary>The key, or null when this enqueue is not unique (see <see cref="Applies"/>).</summary>
    public static byte[]? Compute(JobDefinition job, ReadOnlySpan<byte> payload, EnqueueOptions? options)
    {
        if (options?.UniqueKey is { } key)
        {
            // Encoded to UTF-8 for the hash, a lone surrogate would become U+FFFD: keys differing only there would collide.
            if (StorableText.IndexOfLoneSurrogate(key) is var i and >= 0)
            {
                throw new ArgumentException(
                    $"EnqueueOptions.UniqueKey holds a lone UTF-16 surrogate at index {i}, half of a character, which has no UTF-8 encoding: keys that differ only there would be one key. Remove it.",
                    "EnqueueOptions.UniqueKey");
            }

            using var byKey = Start(job, "key");
            byKey.AppendData(Encoding.UTF8.GetBytes(key));
            return byKey.GetHashAndReset();
        }

        if (job.UniqueBy.Count == 0)
        {
            return null;
        }

        using var hash = Start(job, "by");
        Span<Range> values = job.UniqueBy.Count <= 16 ? stackalloc Range[job.UniqueBy.Count] : new Range[job.UniqueBy.Count];
        FindMembers(job, payload, values);
        for (var i = 0; i < values.Length; i++)
        {
            // A member that is absent hashes differently from any JSON value, including null.
            hash.AppendData(values[i].Equals(default(Range)) ? "\u0001absent"u8 : payload[values[i]]);
            hash.AppendData("\0"u8);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>The state names stored in <c>unique_states</c>: the unfinished ones and the finished ones asked for.</summary>
    public static string[] States(JobDefinition job, EnqueueOptions? options)
    {
        var states = options?.UniqueStates ?? job.UniqueStates;
        Validate.UniqueStates(states, "EnqueueOptions.UniqueStates");
        return s_states[(int)states];
    }

    private static IncrementalHash Start(JobDefinition job, string kind)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(job.Name));
        hash.AppendData("\0"u8);
        hash.AppendData(Encoding.UTF8.GetBytes(kind));
        hash.AppendData("\0"u8);
        return hash;
    }

    /// <summary>The byte ranges of the top-level members named in <see cref="JobDefinition.UniqueBy"/>; default where absent.</summary>
    private static void FindMembers(JobDefinition job, ReadOnlySpan<byte> payload, Span<Range> values)
    {
        var reader = new Utf8JsonReader(payload, PayloadJson.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ArgumentException($"Job '{job.Name}' is unique by payload members, so its payload must be a JSON object.", "payload");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = -1;
            for (var i = 0; i < job.UniqueBy.Count; i++)
            {
                if (reader.ValueTextEquals(job.UniqueBy[i]))
                {
                    index = i;
                    break;
                }
            }

            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (index >= 0)
            {
                values[index] = new Range(start, (int)reader.BytesConsumed);
            }
        }
    }

    private static string[][] CreateStates()
    {
        var all = new string[(int)UniqueStates.All + 1][];
        for (var flags = 0; flags < all.Length; flags++)
        {
            var states = new List<string> { "scheduled", "available", "running", "retryable" };
            if ((flags & (int)UniqueStates.Completed) != 0)
            {
                states.Add("completed");
            }

            if ((flags & (int)UniqueStates.Cancelled) != 0)
            {
                states.Add("cancelled");
            }

            if ((flags & (int)UniqueStates.Discarded) != 0)
            {
                states.Add("discarded");
            }

            all[flags] = [.. states];
        }

        return all;
    }
}
