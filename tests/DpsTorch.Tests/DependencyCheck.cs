// Reads a compiled assembly (Mono.Cecil) and lists every reference from one of our types to another: base types,
// interfaces, generic arguments and constraints, fields, properties, events, signatures, attributes (typeof
// arguments included), locals, catch types and every type, method and field operand in method bodies. LayeringTests
// maps each reference's namespaces to layers.
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace DpsTorch.Tests;

/// <summary>A reference from top-level type <paramref name="From"/> to top-level type <paramref name="To"/>, first seen
/// in <paramref name="Where"/> (a member of From, or "type" for its declaration).</summary>
internal sealed record TypeDependency(string From, string FromNamespace, string To, string ToNamespace, string Where);

internal static class DependencyCheck
{
    /// <summary>Every distinct (from, to) pair of top-level types in <paramref name="module"/> where both types'
    /// namespaces satisfy <paramref name="ours"/> and the two differ.</summary>
    public static IReadOnlyList<TypeDependency> Dependencies(ModuleDefinition module, Func<string, bool> ours)
    {
        var found = new Dictionary<(string, string), TypeDependency>();
        foreach (var type in module.GetTypes())
        {
            var from = TopLevel(type);
            if (!ours(from.Namespace)) continue;
            void Add(TypeReference? target, string where)
            {
                foreach (var t in Expand(target))
                {
                    var to = TopLevel(t);
                    if (!ours(to.Namespace) || to.FullName == from.FullName) continue;
                    found.TryAdd((from.FullName, to.FullName), new(from.FullName, from.Namespace, to.FullName, to.Namespace, where));
                }
            }
            foreach (var (target, where) in References(type)) Add(target, where);
        }
        return [.. found.Values.OrderBy(d => d.From, StringComparer.Ordinal).ThenBy(d => d.To, StringComparer.Ordinal)];
    }

    private static TypeReference TopLevel(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    /// <summary>The named types inside a type reference: the element of an array, pointer or by-ref, and a generic
    /// instance's definition and arguments.</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference? t)
    {
        switch (t)
        {
            case null or GenericParameter:
                yield break;
            case GenericInstanceType g:
                foreach (var e in Expand(g.ElementType)) yield return e;
                foreach (var a in g.GenericArguments)
                    foreach (var e in Expand(a)) yield return e;
                break;
            case FunctionPointerType f:
                foreach (var e in Expand(f.ReturnType)) yield return e;
                foreach (var p in f.Parameters)
                    foreach (var e in Expand(p.ParameterType)) yield return e;
                break;
            case TypeSpecification s: // arrays, pointers, by-refs, modifiers, pinned
                foreach (var e in Expand(s.ElementType)) yield return e;
                break;
            default:
                yield return t;
                break;
        }
    }

    /// <summary>Every type reference one type definition makes, with where it makes it.</summary>
    private static IEnumerable<(TypeReference? Type, string Where)> References(TypeDefinition type)
    {
        yield return (type.BaseType, "base type");
        foreach (var i in type.Interfaces) yield return (i.InterfaceType, "interface");
        foreach (var r in Attributes(type, "attribute")) yield return r;
        foreach (var r in GenericParameters(type, "type parameter")) yield return r;
        foreach (var f in type.Fields)
        {
            yield return (f.FieldType, f.Name);
            foreach (var r in Attributes(f, f.Name)) yield return r;
        }
        foreach (var p in type.Properties)
        {
            yield return (p.PropertyType, p.Name);
            foreach (var r in Attributes(p, p.Name)) yield return r;
        }
        foreach (var e in type.Events) yield return (e.EventType, e.Name);
        foreach (var m in type.Methods)
            foreach (var r in Method(m)) yield return r;
    }

    private static IEnumerable<(TypeReference?, string)> Method(MethodDefinition m)
    {
        string where = $"{m.DeclaringType.Name}.{m.Name}";
        yield return (m.ReturnType, where);
        foreach (var p in m.Parameters)
        {
            yield return (p.ParameterType, where);
            foreach (var r in Attributes(p, where)) yield return r;
        }
        foreach (var r in Attributes(m, where)) yield return r;
        foreach (var r in Attributes(m.MethodReturnType, where)) yield return r;
        foreach (var r in GenericParameters(m, where)) yield return r;
        foreach (var o in m.Overrides) yield return (o.DeclaringType, where);
        if (!m.HasBody) yield break;
        foreach (var v in m.Body.Variables) yield return (v.VariableType, where);
        foreach (var h in m.Body.ExceptionHandlers) yield return (h.CatchType, where);
        foreach (var ins in m.Body.Instructions)
            foreach (var t in Operand(ins.Operand)) yield return (t, where);
    }

    private static IEnumerable<TypeReference?> Operand(object? operand)
    {
        switch (operand)
        {
            case TypeReference t:
                yield return t;
                break;
            case MethodReference mr:
                yield return mr.DeclaringType;
                yield return mr.ReturnType;
                foreach (var p in mr.Parameters) yield return p.ParameterType;
                if (mr is GenericInstanceMethod gm)
                    foreach (var a in gm.GenericArguments) yield return a;
                break;
            case FieldReference fr:
                yield return fr.DeclaringType;
                yield return fr.FieldType;
                break;
            case CallSite cs:
                yield return cs.ReturnType;
                foreach (var p in cs.Parameters) yield return p.ParameterType;
                break;
        }
    }

    private static IEnumerable<(TypeReference?, string)> GenericParameters(IGenericParameterProvider owner, string where)
    {
        foreach (var g in owner.GenericParameters)
        {
            foreach (var c in g.Constraints) yield return (c.ConstraintType, where);
            foreach (var r in Attributes(g, where)) yield return r;
        }
    }

    private static IEnumerable<(TypeReference?, string)> Attributes(ICustomAttributeProvider owner, string where)
    {
        if (!owner.HasCustomAttributes) yield break;
        foreach (var a in owner.CustomAttributes)
        {
            yield return (a.AttributeType, where);
            foreach (var arg in a.ConstructorArguments.Concat(a.Fields.Select(f => f.Argument)).Concat(a.Properties.Select(p => p.Argument)))
                foreach (var t in AttributeValue(arg)) yield return (t, where);
        }
    }

    /// <summary>The types an attribute argument names: its own type, a typeof value, and the same inside arrays.</summary>
    private static IEnumerable<TypeReference> AttributeValue(CustomAttributeArgument arg)
    {
        yield return arg.Type;
        switch (arg.Value)
        {
            case TypeReference t:
                yield return t;
                break;
            case CustomAttributeArgument inner:
                foreach (var t in AttributeValue(inner)) yield return t;
                break;
            case CustomAttributeArgument[] items:
                foreach (var item in items)
                    foreach (var t in AttributeValue(item)) yield return t;
                break;
        }
    }
}
