using System.Globalization;
using System.Text;

namespace AdlsOnboarding.Benchmark;

/// <summary>
/// Finds the requests in a client's HTTP/1.1 byte stream as it passes, without buffering it: each request's head is
/// read for its method and target, and its body (Content-Length or chunked) is skipped by length, so the counting
/// proxy can forward the bytes unchanged and still count every request, however the reads split them.
/// </summary>
internal sealed class Http1RequestFramer
{
    /// <summary>A head (or a chunk-size or trailer line) longer than this is not HTTP this proxy can frame.</summary>
    public const int MaxLine = 64 * 1024;

    private readonly List<byte> _pending = [];
    private State _state = State.Head;
    private long _remaining;

    private enum State
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
    }

    /// <summary>Feeds the next bytes of the stream; <paramref name="onRequest"/> gets each request's method and target (path and query) once its head is complete.</summary>
    public void Feed(ReadOnlySpan<byte> data, Action<string, string> onRequest)
    {
        while (!data.IsEmpty)
        {
            switch (_state)
            {
                case State.Head:
                    if (TakeUntil(ref data, "\r\n\r\n"u8) is { } head)
                    {
                        OnHead(head, onRequest);
                    }

                    break;

                case State.Body:
                case State.ChunkData:
                    int skip = (int)Math.Min(_remaining, data.Length);
                    data = data[skip..];
                    _remaining -= skip;
                    if (_remaining == 0)
                    {
                        _state = _state == State.Body ? State.Head : State.ChunkEnd;
                        _remaining = _state == State.ChunkEnd ? 2 : 0;
                    }

                    break;

                case State.ChunkEnd:
                    // The CRLF after a chunk's data.
                    int crlf = (int)Math.Min(_remaining, data.Length);
                    data = data[crlf..];
                    _remaining -= crlf;
                    if (_remaining == 0)
                    {
                        _state = State.ChunkSize;
                    }

                    break;

                case State.ChunkSize:
                    if (TakeUntil(ref data, "\r\n"u8) is { } sizeLine)
                    {
                        string size = Encoding.ASCII.GetString(sizeLine).TrimEnd('\r', '\n').Split(';')[0].Trim();
                        _remaining = long.Parse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                        _state = _remaining == 0 ? State.Trailers : State.ChunkData;
                    }

                    break;

                case State.Trailers:
                    if (TakeUntil(ref data, "\r\n"u8) is { } trailer && trailer.Length == 2)
                    {
                        _state = State.Head;
                    }

                    break;
            }
        }
    }

    /// <summary>Adds bytes to the pending line up to and including <paramref name="end"/>; returns the whole line once it ends.</summary>
    private byte[]? TakeUntil(ref ReadOnlySpan<byte> data, ReadOnlySpan<byte> end)
    {
        for (int i = 0; i < data.Length; i++)
        {
            _pending.Add(data[i]);
            if (_pending.Count >= end.Length && EndsWith(_pending, end))
            {
                data = data[(i + 1)..];
                byte[] line = [.. _pending];
                _pending.Clear();
                return line;
            }

            if (_pending.Count > MaxLine)
            {
                throw new InvalidDataException($"An HTTP line or head longer than {MaxLine} bytes.");
            }
        }

        data = [];
        return null;
    }

    private static bool EndsWith(List<byte> bytes, ReadOnlySpan<byte> end)
    {
        for (int i = 0; i < end.Length; i++)
        {
            if (bytes[bytes.Count - end.Length + i] != end[i])
            {
                return false;
            }
        }

        return true;
    }

    private void OnHead(byte[] head, Action<string, string> onRequest)
    {
        string[] lines = Encoding.Latin1.GetString(head).Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Not an HTTP/1.x request line: '{lines[0]}'.");
        }

        long length = 0;
        bool chunked = false;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
        }

        onRequest(requestLine[0], requestLine[1]);
        (_state, _remaining) = chunked ? (State.ChunkSize, 0L) : length > 0 ? (State.Body, length) : (State.Head, 0L);
    }
}
