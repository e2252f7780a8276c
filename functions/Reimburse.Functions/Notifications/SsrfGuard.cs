using System.Net;
using System.Net.Sockets;

namespace Reimburse.Functions.Notifications;

/// <summary>Thrown when an outgoing HTTP target is refused (scheme, address range, redirect).</summary>
public sealed class UnsafeTargetException(string message) : Exception(message);

/// <summary>Keeps outgoing notification requests away from internal addresses: https only, no loopback, private, link-local,
/// unique-local, CGNAT, multicast, reserved or cloud-metadata addresses. The URL is checked before sending and the address
/// actually connected to is checked again inside <see cref="SocketsHttpHandler.ConnectCallback"/>, so a DNS answer that
/// changes between the two (rebinding) cannot slip through. Redirects are never followed and no proxy is used.</summary>
public sealed class SsrfGuard(bool allowPrivate, bool allowHttp, Func<string, CancellationToken, Task<IPAddress[]>>? resolver = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolver ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));

    public bool AllowPrivate => allowPrivate;

    /// <summary>Refuses a URL whose scheme or (resolved) host is not allowed.</summary>
    public async Task ValidateAsync(Uri url, CancellationToken cancellationToken = default)
    {
        if (url.Scheme != Uri.UriSchemeHttps && !(allowHttp && url.Scheme == Uri.UriSchemeHttp))
        {
            throw new UnsafeTargetException($"Only https targets are allowed (got {url.Scheme}).");
        }
        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            throw new UnsafeTargetException("Credentials in target URLs are not allowed.");
        }
        await ResolveAllowedAsync(url.IdnHost, cancellationToken);
    }

    /// <summary>Resolves a host and returns its addresses, refusing if any of them is blocked.</summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken cancellationToken = default)
    {
        host = host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await _resolve(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new UnsafeTargetException($"{host} does not resolve.");
        }
        if (!allowPrivate && addresses.FirstOrDefault(IsBlocked) is { } bad)
        {
            throw new UnsafeTargetException($"{host} resolves to {bad}, a loopback/private/link-local/reserved address.");
        }
        return addresses;
    }

    /// <summary>An HTTP handler that enforces the rules at connect time.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await ResolveAllowedAsync(context.DnsEndPoint.Host, ct);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // Connect to the addresses we just vetted, never to a name the OS would resolve again.
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                if (!allowPrivate && socket.RemoteEndPoint is IPEndPoint remote && IsBlocked(remote.Address))
                {
                    throw new UnsafeTargetException($"Connected to a blocked address {remote.Address}.");
                }
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>True for every address a notification must not reach.</summary>
    public static bool IsBlocked(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return IsBlocked(address.MapToIPv4());
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 => true,                                   // 0.0.0.0/8 "this network"
                10 => true,                                  // private
                127 => true,                                 // loopback
                100 => b[1] is >= 64 and <= 127,             // 100.64/10 CGNAT (and Alibaba's metadata 100.100.100.200)
                169 => b[1] == 254,                          // link-local, cloud metadata 169.254.169.254
                172 => b[1] is >= 16 and <= 31,              // private
                192 => (b[1] == 168) || (b[1] == 0 && b[2] is 0 or 2) || (b[1] == 88 && b[2] == 99), // private, IETF, TEST-NET-1, 6to4 relay
                198 => b[1] is 18 or 19 || (b[1] == 51 && b[2] == 100), // benchmarking, TEST-NET-2
                203 => b[1] == 0 && b[2] == 113,             // TEST-NET-3
                >= 224 => true,                              // multicast, reserved, broadcast
                _ => false,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback)
                || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast)
            {
                return true;
            }
            var b = address.GetAddressBytes();
            if ((b[0] & 0xFE) == 0xFC) return true;                                   // fc00::/7 unique-local (incl. fd00:ec2::254)
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return true; // 2001:db8::/32 documentation
            if (b[0] == 0x20 && b[1] == 0x02) return IsBlocked(new IPAddress(b[2..6])); // 6to4 carries an IPv4 address
            if (b.AsSpan(0, 12).SequenceEqual(Nat64Prefix)) return IsBlocked(new IPAddress(b[12..16])); // 64:ff9b::/96 NAT64
            if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return true;           // ::/96 IPv4-compatible (deprecated) and ::
            return false;
        }
        return true;
    }

    private static readonly byte[] Nat64Prefix = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
}
