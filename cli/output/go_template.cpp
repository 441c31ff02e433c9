// execute_template of go_template.hpp: Go's text/template exec over JSON
// values (the tree of go_template_tree.hpp).

#include "cli/output/go_template.hpp"

#include <algorithm>

#include "cli/output/go_template_funcs.hpp"
#include "cli/output/go_template_tree.hpp"

namespace actorswarm::cli::output {

namespace {

using tmpl::node;
using tmpl::operand;
using tmpl::pipeline;
using tmpl::value;

std::string go_text_in(const value& x, bool nested) {
  if (x.is_string())
    return x.get<std::string>();
  if (x.is_null())
    return nested ? "<nil>" : "<no value>";
  if (x.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < x.size(); ++i)
      out += (i == 0 ? "" : " ") + go_text_in(x[i], true);
    return out + "]";
  }
  if (x.is_object()) {
    // Go prints a map's keys sorted.
    std::vector<std::string> keys;
    for (auto i = x.begin(); i != x.end(); ++i)
      keys.push_back(i.key());
    std::sort(keys.begin(), keys.end());
    std::string out = "map[";
    for (size_t i = 0; i < keys.size(); ++i)
      out += (i == 0 ? "" : " ") + keys[i] + ":"
             + go_text_in(x.at(keys[i]), true);
    return out + "]";
  }
  return x.dump();
}

// One run of a template: Go's exec state (variables, output).
struct runner {
  bool lenient;
  std::vector<std::pair<std::string, value>> vars;
  std::string out;

  failure error(const operand& at, const std::string& what) const {
    return fail(errc::invalid_spec, "template: :" + std::to_string(at.line)
                                      + ":" + std::to_string(at.col)
                                      + ": executing \"\" at <" + at.text
                                      + ">: " + what);
  }

  // Go's evalField, step by step, on a map-shaped value.
  result<value> walk(const value& base, const operand& at) const {
    const value* cur = &base;
    for (const auto& f : at.fields) {
      if (cur->is_null() && lenient)
        return value{};
      if (cur->is_null())
        return error(at, "nil pointer evaluating interface {}." + f);
      if (!cur->is_object())
        return error(at, "can't evaluate field " + f + " in type "
                           + tmpl::go_type(*cur));
      auto it = cur->find(f);
      if (it == cur->end() && lenient)
        return value{};
      if (it == cur->end())
        return error(at, "map has no entry for key \"" + f + "\"");
      cur = &*it;
    }
    return *cur;
  }

  result<value> operand_value(const operand& o, const value& dot) {
    switch (o.k) {
      case operand::kind::dot:
      case operand::kind::field:
        return walk(dot, o);
      case operand::kind::variable: {
        auto it = std::find_if(vars.rbegin(), vars.rend(), [&o](const auto& v) {
          return v.first == o.name;
        });
        if (it == vars.rend())
          return error(o, "undefined variable: " + o.name);
        return walk(it->second, o);
      }
      case operand::kind::literal:
        return o.literal;
      case operand::kind::nested: {
        auto v = run_pipeline(*o.sub, dot);
        if (!v)
          return v;
        return walk(*v, o);
      }
      case operand::kind::function:
        return call(o, {}, dot, nullptr);
    }
    return value{};
  }

  // A function call: its arguments, then the piped value last.
  result<value> call(const operand& fn, const std::vector<operand>& args,
                     const value& dot, const value* piped) {
    std::vector<value> xs;
    for (const auto& a : args) {
      auto v = operand_value(a, dot);
      if (!v)
        return v;
      xs.push_back(std::move(*v));
    }
    if (piped != nullptr)
      xs.push_back(*piped);
    auto r = tmpl::call_function(fn.name, xs);
    if (!r)
      return error(fn, r.error().message);
    return r;
  }

  result<value> run_pipeline(const pipeline& p, const value& dot) {
    value v;
    for (size_t i = 0; i < p.cmds.size(); ++i) {
      const auto& args = p.cmds[i].args;
      const value* piped = i == 0 ? nullptr : &v;
      result<value> r = value{};
      if (args[0].k == operand::kind::function)
        r = call(args[0], {args.begin() + 1, args.end()}, dot, piped);
      else if (args.size() > 1 || piped != nullptr)
        return error(args[0],
                     "can't give argument to non-function " + args[0].text);
      else
        r = operand_value(args[0], dot);
      if (!r)
        return r;
      v = std::move(*r);
    }
    return v;
  }

  status run_list(const std::vector<node>& xs, const value& dot) {
    auto scope = vars.size();
    for (const auto& x : xs) {
      auto s = run_node(x, dot);
      if (!s)
        return s;
    }
    vars.resize(scope);
    return ok_status();
  }

  // {{range}}: lists in order, maps by sorted key; empty runs the else.
  status run_range(const node& n, const value& dot, const value& v) {
    if (!v.is_null() && !v.is_array() && !v.is_object())
      return error(n.pipe.cmds[0].args[0],
                   "range can't iterate over " + go_text_in(v, false));
    if (v.empty())
      return run_list(n.else_list, dot);
    std::vector<std::pair<value, const value*>> items;
    if (v.is_array())
      for (size_t i = 0; i < v.size(); ++i)
        items.emplace_back(value(i), &v[i]);
    else
      for (auto i = v.begin(); i != v.end(); ++i)
        items.emplace_back(value(i.key()), &*i);
    if (v.is_object())
      std::sort(items.begin(), items.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, elem] : items) {
      auto scope = vars.size();
      const auto& d = n.pipe.decl;
      if (d.size() == 1)
        vars.emplace_back(d[0], *elem);
      if (d.size() >= 2) {
        vars.emplace_back(d[0], key);
        vars.emplace_back(d[1], *elem);
      }
      auto s = run_list(n.list, *elem);
      vars.resize(scope);
      if (!s)
        return s;
    }
    return ok_status();
  }

  status run_node(const node& n, const value& dot) {
    if (n.k == node::kind::text) {
      out += n.text;
      return ok_status();
    }
    auto v = run_pipeline(n.pipe, dot);
    if (!v)
      return v.error();
    if (n.k == node::kind::range)
      return run_range(n, dot, *v);
    for (const auto& d : n.pipe.decl)
      vars.emplace_back(d, *v);
    if (n.k == node::kind::action) {
      if (n.pipe.decl.empty())
        out += go_text_in(*v, false);
      return ok_status();
    }
    if (!tmpl::truth(*v))
      return run_list(n.else_list, dot);
    return run_list(n.list, n.k == node::kind::with ? *v : dot);
  }
};

} // namespace

std::string go_text(const nlohmann::ordered_json& x) {
  return go_text_in(x, false);
}

result<std::string> execute_template(const parsed_template& t,
                                     const nlohmann::ordered_json& dot,
                                     bool lenient) {
  runner r{lenient, {{"$", dot}}, {}};
  auto s = r.run_list(*t.nodes, dot);
  if (!s)
    return s.error();
  return std::move(r.out);
}

result<std::string> execute_template(const parsed_template& t,
                                     const nlohmann::json& dot, bool lenient) {
  return execute_template(t, nlohmann::ordered_json(dot), lenient);
}

result<std::string> expand_template(const std::string& tmpl,
                                    const nlohmann::ordered_json& dot) {
  auto t = parse_template(tmpl);
  if (!t)
    return t.error();
  return execute_template(*t, dot);
}

} // namespace actorswarm::cli::output
