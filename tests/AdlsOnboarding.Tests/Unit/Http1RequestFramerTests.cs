using System.Text;
using AdlsOnboarding.Benchmark;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// The benchmark's counting proxy relays bytes and counts requests with this framer: every request counted once,
/// wherever the reads split the stream, and nothing inside a body mistaken for a request.
/// </summary>
public sealed class Http1RequestFramerTests
{
    private const string Stream =
        "PUT /devstoreaccount1/hub-workitems/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 38\r\n\r\n" +
        "<x>GET /fake HTTP/1.1\r\n\r\n\r\n\r\n</x>12345" +
        "POST /devstoreaccount1/$batch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5;ext=1\r\nGET /\r\n" + "a\r\n\r\n\r\nPOST /\r\n" + "0\r\nX-Trailer: 1\r\n\r\n" +
        "GET /devstoreaccount1/Instances(PartitionKey='a',RowKey='')?$filter=x HTTP/1.1\r\nHost: h\r\n\r\n" +
        "DELETE /devstoreaccount1/q/messages/id?popreceipt=p HTTP/1.1\r\ncontent-length: 0\r\n\r\n";

    private static readonly string[] Expected =
    [
        "PUT /devstoreaccount1/hub-workitems/messages",
        "POST /devstoreaccount1/$batch",
        "GET /devstoreaccount1/Instances(PartitionKey='a',RowKey='')?$filter=x",
        "DELETE /devstoreaccount1/q/messages/id?popreceipt=p",
    ];

    [Fact]
    public void OneRead_EveryRequestOnce_BodiesSkipped()
    {
        Assert.Equal(Expected, Frame(Encoding.Latin1.GetBytes(Stream), Encoding.Latin1.GetByteCount(Stream)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void AnySplit_SameRequests(int readSize)
    {
        Assert.Equal(Expected, Frame(Encoding.Latin1.GetBytes(Stream), readSize));
    }

    [Fact]
    public void NotHttp_Refused()
    {
        Http1RequestFramer framer = new();
        Assert.Throws<InvalidDataException>(() => framer.Feed("\x16\x03\x01 hello\r\n\r\n"u8, (_, _) => { }));
    }

    private static List<string> Frame(byte[] bytes, int readSize)
    {
        Http1RequestFramer framer = new();
        List<string> requests = [];
        for (int at = 0; at < bytes.Length; at += readSize)
        {
            framer.Feed(bytes.AsSpan(at, Math.Min(readSize, bytes.Length - at)), (method, target) => requests.Add($"{method} {target}"));
        }

        return requests;
    }
}
