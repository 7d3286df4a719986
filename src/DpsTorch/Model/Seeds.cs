// Independent random streams for restarts (issue 13): restart r > 0 of seed s draws from a hash of (s, r), so seed 1
// restart 1 and seed 2 restart 0 are unrelated.
namespace DpsTorch.Model;

/// <summary>Seeds derived from (seed, restart).</summary>
public static class Seeds
{
    /// <summary>
    /// The initialisation seed of restart <paramref name="restart"/> under training.seed <paramref name="seed"/>:
    /// the seed itself for restart 0 (a one-start run is reproduced from the seed alone), and for later restarts
    /// SplitMix64 of the pair folded to a non-negative int, so restart r of seed s never reuses another seed's stream.
    /// </summary>
    public static int ForRestart(int seed, int restart)
    {
        if (restart == 0) return seed;
        ulong z = Mix(((ulong)(uint)seed << 32) | (uint)restart);
        return (int)(z & 0x7FFF_FFFF);
    }

    /// <summary>The SplitMix64 finaliser (Steele, Lea and Flood 2014): a bijection on 64 bits that spreads every input bit.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E37_79B9_7F4A_7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return x ^ (x >> 31);
    }
}
