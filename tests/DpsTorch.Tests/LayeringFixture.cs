// A tiny two-layer fixture for LayeringTests: types in Low reach up to High in every way DependencyCheck must see (one
// way per type), and High uses Low, which is allowed. Never used at run time.
#pragma warning disable CS0169, CS0414, CS0649, CA1822 // fields and members exist only to be seen in the IL

namespace DpsTorch.Tests.LayeringFixture.High
{
    public class Thing
    {
        public static int Count;
        public static void Touch() { }
        public Low.Base? Down; // high -> low: allowed
    }

    public class ThingAttribute(Type t) : Attribute
    {
        public Type T { get; } = t;
    }

    public class ThingException : Exception;

    public interface IThing;
}

namespace DpsTorch.Tests.LayeringFixture.Low
{
    public class Base;

    public class ByField { private High.Thing? _thing; }

    public class ByArrayOfGeneric { private List<High.Thing>[]? _things; }

    public class ByBaseType : High.Thing;

    public class ByInterface : High.IThing;

    public class BySignature { public static void Take(ref High.Thing? thing) { } }

    public class ByNew { public static object Make() => new High.Thing(); }

    public class ByStaticCall { public static void Call() => High.Thing.Touch(); }

    public class ByStaticField { public static int Read() => High.Thing.Count; }

    public class ByTypeof { public static Type Get() => typeof(High.Thing); }

    public class ByGenericMethodArgument { public static int Size() => Array.Empty<High.Thing>().Length; }

    [High.Thing(typeof(int))]
    public class ByAttribute;

    [High.Thing(typeof(High.Thing[]))]
    public class ByAttributeTypeofArgument;

    public class ByCatch
    {
        public static bool Try()
        {
            try { return true; }
            catch (High.ThingException) { return false; }
        }
    }

    public class ByConstraint<T> where T : High.Thing;

    public class ByLambda { public static Func<object> Make() => () => new High.Thing(); }
}
