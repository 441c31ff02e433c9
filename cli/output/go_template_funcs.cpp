#include "cli/output/go_template_funcs.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>

#include "cli/output/go_template.hpp"

namespace actorswarm::cli::output {

namespace tmpl {

namespace {

using args_t = std::vector<value>;
using fn_t = std::function<result<value>(const args_t&)>;

struct function {
  size_t min_args;
  size_t max_args; // SIZE_MAX: variadic
  fn_t fn;
};

failure call_error(const std::string& name, const std::string& what) {
  return fail(errc::invalid_spec, "error calling " + name + ": " + what);
}

result<std::string> string_arg(const std::string& name, const value& x) {
  if (!x.is_string())
    return call_error(name, "wrong type for value; expected string; got "
                              + go_type(x));
  return x.get<std::string>();
}

result<int64_t> int_arg(const std::string& name, const value& x) {
  if (!x.is_number_integer())
    return call_error(name,
                      "wrong type for value; expected int; got " + go_type(x));
  return x.get<int64_t>();
}

result<value> index_of(const args_t& a) {
  value cur = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    if (cur.is_null())
      return call_error("index", "index of untyped nil");
    if (cur.is_object()) {
      if (!a[i].is_string())
        return call_error("index", "value has type " + go_type(a[i])
                                     + "; should be string");
      auto it = cur.find(a[i].get<std::string>());
      // Go's index: the zero value for a missing key (missingkey aside).
      cur = it == cur.end() ? value{} : *it;
    } else if (cur.is_array() || cur.is_string()) {
      if (!a[i].is_number_integer())
        return call_error("index", "cannot index slice/array with type "
                                     + go_type(a[i]));
      auto n = a[i].get<int64_t>();
      auto size = static_cast<int64_t>(cur.size());
      if (cur.is_string())
        size = static_cast<int64_t>(cur.get<std::string>().size());
      if (n < 0 || n >= size)
        return call_error("index", "index out of range: " + std::to_string(n));
      if (cur.is_string())
        cur = static_cast<int>(
          static_cast<unsigned char>(cur.get<std::string>()[n]));
      else
        cur = value(cur[static_cast<size_t>(n)]);
    } else {
      return call_error("index", "can't index item of type " + go_type(cur));
    }
  }
  return cur;
}

result<value> join_of(const args_t& a) {
  auto sep = string_arg("join", a[1]);
  if (!sep)
    return sep.error();
  if (a[0].is_null())
    return value("");
  if (!a[0].is_array())
    return call_error("join", "expected slice or array, got " + go_type(a[0]));
  std::string out;
  for (size_t i = 0; i < a[0].size(); ++i)
    out += (i == 0 ? "" : *sep) + go_text(a[0][i]);
  return value(out);
}

result<value> split_of(const args_t& a) {
  auto s = string_arg("split", a[0]);
  auto sep = string_arg("split", a[1]);
  if (!s || !sep)
    return !s ? s.error() : sep.error();
  value out = value::array();
  if (sep->empty()) {
    for (char c : *s)
      out.push_back(std::string(1, c));
    return out;
  }
  size_t b = 0;
  // Each step consumes one separator: bounded by the string.
  for (auto e = s->find(*sep); e != std::string::npos; e = s->find(*sep, b)) {
    out.push_back(s->substr(b, e - b));
    b = e + sep->size();
  }
  out.push_back(s->substr(b));
  return out;
}

fn_t map_string(const std::string& name,
                std::function<std::string(std::string)> f) {
  return [name, f](const args_t& a) -> result<value> {
    auto s = string_arg(name, a[0]);
    if (!s)
      return s.error();
    return value(f(*s));
  };
}

std::string title(std::string s) {
  bool start = true;
  for (auto& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (start && std::isalpha(u) != 0)
      c = static_cast<char>(std::toupper(u));
    start = std::isalnum(u) == 0 && c != '_' && c != '\'';
  }
  return s;
}

// Go's fmt.Sprint: a space between operands when neither is a string.
std::string sprint(const args_t& a) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && !a[i].is_string() && !a[i - 1].is_string())
      out += ' ';
    out += go_text(a[i]);
  }
  return out;
}

// Go's fmt.Sprintf for %s %v %d %q %%.
result<value> sprintf(const args_t& a) {
  auto f = string_arg("printf", a[0]);
  if (!f)
    return f.error();
  std::string out;
  size_t next = 1;
  for (size_t i = 0; i < f->size(); ++i) {
    if ((*f)[i] != '%' || i + 1 == f->size()) {
      out += (*f)[i];
      continue;
    }
    auto verb = (*f)[++i];
    if (verb == '%') {
      out += '%';
    } else if (next >= a.size()) {
      out += std::string("%!") + verb + "(MISSING)";
    } else if (verb == 'q') {
      out += value(go_text(a[next++])).dump();
    } else {
      out += go_text(a[next++]);
    }
  }
  return value(out);
}

int compare(const value& x, const value& y) {
  if (x.is_number() && y.is_number())
    return x.get<double>() < y.get<double>()
             ? -1
             : (x.get<double>() > y.get<double>() ? 1 : 0);
  auto a = go_text(x);
  auto b = go_text(y);
  return a < b ? -1 : (a > b ? 1 : 0);
}

fn_t comparison(std::function<bool(int)> ok) {
  return [ok](const args_t& a) -> result<value> {
    return value(ok(compare(a[0], a[1])));
  };
}

result<value> json_of(const args_t& a) {
  return value(a[0].dump());
}

result<value> len_of(const args_t& a) {
  if (a[0].is_string())
    return value(a[0].get<std::string>().size());
  if (a[0].is_array() || a[0].is_object())
    return value(a[0].size());
  return call_error("len", "len of type " + go_type(a[0]));
}

std::string to_lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string to_upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string spaces(int64_t n) {
  return std::string(static_cast<size_t>(std::max<int64_t>(n, 0)), ' ');
}

// docker's pad: spaces around a string that is not empty.
result<value> pad_of(const args_t& a) {
  auto s = string_arg("pad", a[0]);
  auto l = int_arg("pad", a[1]);
  auto r = int_arg("pad", a[2]);
  if (!s || !l || !r)
    return !s ? s.error() : !l ? l.error() : r.error();
  return value(s->empty() ? "" : spaces(*l) + *s + spaces(*r));
}

result<value> truncate_of(const args_t& a) {
  auto s = string_arg("truncate", a[0]);
  auto n = int_arg("truncate", a[1]);
  if (!s || !n)
    return !s ? s.error() : n.error();
  return value(s->substr(0, static_cast<size_t>(std::max<int64_t>(*n, 0))));
}

result<value> print_of(const args_t& a) {
  return value(sprint(a));
}

// Go's fmt.Sprintln: always a space between operands, then a newline.
result<value> println_of(const args_t& a) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i)
    out += (i == 0 ? "" : " ") + go_text(a[i]);
  return value(out + "\n");
}

result<value> not_of(const args_t& a) {
  return value(!truth(a[0]));
}

// Go's and/or: the first argument that decides, else the last.
result<value> and_of(const args_t& a) {
  for (const auto& x : a)
    if (!truth(x))
      return x;
  return a.back();
}

result<value> or_of(const args_t& a) {
  for (const auto& x : a)
    if (truth(x))
      return x;
  return a.back();
}

// Go's eq: the first argument equals any of the others.
result<value> eq_of(const args_t& a) {
  for (size_t i = 1; i < a.size(); ++i)
    if (compare(a[0], a[i]) == 0
        && ((a[0].is_number() && a[i].is_number())
            || a[0].type() == a[i].type()))
      return value(true);
  return value(false);
}

const std::map<std::string, function>& functions() {
  constexpr auto any = static_cast<size_t>(-1);
  static const std::map<std::string, function> fs{
    {"json", {1, 1, json_of}},
    {"index", {1, any, index_of}},
    {"len", {1, 1, len_of}},
    {"join", {2, 2, join_of}},
    {"split", {2, 2, split_of}},
    {"lower", {1, 1, map_string("lower", to_lower)}},
    {"upper", {1, 1, map_string("upper", to_upper)}},
    {"title", {1, 1, map_string("title", title)}},
    {"pad", {3, 3, pad_of}},
    {"truncate", {2, 2, truncate_of}},
    {"print", {0, any, print_of}},
    {"println", {0, any, println_of}},
    {"printf", {1, any, sprintf}},
    {"not", {1, 1, not_of}},
    {"and", {1, any, and_of}},
    {"or", {1, any, or_of}},
    {"eq", {2, any, eq_of}},
    {"ne", {2, 2, comparison([](int c) { return c != 0; })}},
    {"lt", {2, 2, comparison([](int c) { return c < 0; })}},
    {"le", {2, 2, comparison([](int c) { return c <= 0; })}},
    {"gt", {2, 2, comparison([](int c) { return c > 0; })}},
    {"ge", {2, 2, comparison([](int c) { return c >= 0; })}},
  };
  return fs;
}

} // namespace

bool has_function(const std::string& name) {
  return functions().count(name) != 0;
}

bool truth(const value& x) {
  if (x.is_null())
    return false;
  if (x.is_boolean())
    return x.get<bool>();
  if (x.is_number())
    return x.get<double>() != 0;
  if (x.is_string() || x.is_array() || x.is_object())
    return !x.empty() && !(x.is_string() && x.get<std::string>().empty());
  return true;
}

std::string go_type(const value& x) {
  if (x.is_string())
    return "string";
  if (x.is_number())
    return "json.Number";
  if (x.is_boolean())
    return "bool";
  if (x.is_array())
    return "[]interface {}";
  if (x.is_object())
    return "map[string]interface {}";
  return "interface {}";
}

result<value> call_function(const std::string& name, const args_t& args) {
  const auto& f = functions().at(name);
  if (args.size() < f.min_args || args.size() > f.max_args) {
    auto want = f.max_args == static_cast<size_t>(-1)
                  ? "at least " + std::to_string(f.min_args)
                  : std::to_string(f.min_args);
    return fail(errc::invalid_spec, "wrong number of args for " + name
                                      + ": want " + want + " got "
                                      + std::to_string(args.size()));
  }
  return f.fn(args);
}

} // namespace tmpl

} // namespace actorswarm::cli::output
