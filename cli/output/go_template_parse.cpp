// parse_template of go_template.hpp: Go's text/template parser over the
// tokens of go_template_lex.hpp, for the subset the header lists.

#include <algorithm>

#include "cli/output/go_template.hpp"
#include "cli/output/go_template_funcs.hpp"
#include "cli/output/go_template_lex.hpp"
#include "cli/output/go_template_tree.hpp"

namespace actorswarm::cli::output {

namespace tmpl {

namespace {

using tk = token::kind;

// The tree builder: walks the pieces once; `vars` is Go's variable scope.
struct parser {
  const std::string& src;
  const std::vector<piece>& pieces;
  size_t i = 0;
  std::vector<std::string> vars{"$"};

  failure error(size_t pos, const std::string& what) const {
    return fail(errc::invalid_spec,
                "template: :" + std::to_string(position_of(src, pos).first)
                  + ": " + what);
  }

  operand from_token(const token& t) const {
    operand o;
    auto [line, col] = position_of(src, t.pos);
    o.line = line;
    o.col = col;
    o.text = t.text;
    o.fields = t.fields;
    switch (t.k) {
      case tk::dot:
        o.k = operand::kind::dot;
        break;
      case tk::field:
        o.k = operand::kind::field;
        break;
      case tk::variable:
        o.k = operand::kind::variable;
        o.name = t.text;
        for (const auto& f : t.fields)
          o.text += "." + f;
        break;
      case tk::literal:
        o.k = operand::kind::literal;
        o.literal = t.lit;
        break;
      default:
        o.k = operand::kind::function;
        o.name = t.text;
    }
    return o;
  }

  // One operand at ts[j]; moves j past it.
  result<operand> parse_operand(const std::vector<token>& ts, size_t& j) {
    const auto& t = ts[j];
    if (t.k == tk::lparen) {
      auto sub = parse_pipeline(ts, ++j, true);
      if (!sub)
        return sub.error();
      if (j >= ts.size() || ts[j].k != tk::rparen)
        return error(t.pos, "unclosed left paren");
      operand o = from_token(t);
      o.k = operand::kind::nested;
      o.sub = std::make_shared<const pipeline>(std::move(*sub));
      o.text = src.substr(t.pos, ts[j].pos + 1 - t.pos);
      ++j;
      // `(pipeline).A.B`: a field chain right after the ')'.
      if (j < ts.size() && ts[j].k == tk::field
          && ts[j].pos == ts[j - 1].pos + 1) {
        o.fields = ts[j].fields;
        o.text += ts[j++].text;
      }
      return o;
    }
    if (t.k == tk::ident && !has_function(t.text))
      return error(t.pos, "function \"" + t.text + "\" not defined");
    if (t.k == tk::variable
        && std::find(vars.begin(), vars.end(), from_token(t).name)
             == vars.end())
      return error(t.pos, "undefined variable \"" + from_token(t).name + "\"");
    if (t.k != tk::dot && t.k != tk::field && t.k != tk::variable
        && t.k != tk::literal && t.k != tk::ident)
      return error(t.pos, "unexpected \"" + t.text + "\" in operand");
    ++j;
    return from_token(t);
  }

  // `[$a[, $b] :=] cmd | cmd`, from ts[j] to the end or (nested) a ')'.
  result<pipeline> parse_pipeline(const std::vector<token>& ts, size_t& j,
                                  bool nested) {
    pipeline p;
    auto k = j;
    while (k < ts.size() && (ts[k].k == tk::variable || ts[k].k == tk::comma))
      ++k;
    if (!nested && k < ts.size() && ts[k].k == tk::declare) {
      for (; j < k; ++j)
        if (ts[j].k == tk::variable)
          p.decl.push_back(ts[j].text);
      ++j;
    }
    p.cmds.emplace_back();
    // Each iteration consumes one token: bounded by the action.
    while (j < ts.size() && !(nested && ts[j].k == tk::rparen)) {
      if (ts[j].k == tk::pipe) {
        if (p.cmds.back().args.empty())
          return error(ts[j].pos, "missing value for command");
        p.cmds.emplace_back();
        ++j;
        continue;
      }
      auto o = parse_operand(ts, j);
      if (!o)
        return o.error();
      p.cmds.back().args.push_back(std::move(*o));
    }
    if (p.cmds.back().args.empty())
      return error(j < ts.size() ? ts[j].pos : src.size(),
                   "missing value for command");
    return p;
  }

  result<pipeline> action_pipeline(const piece& a, size_t from) {
    size_t j = from;
    if (j >= a.tokens.size())
      return error(a.pos, "missing value for command");
    auto p = parse_pipeline(a.tokens, j, false);
    if (!p)
      return p;
    if (j < a.tokens.size())
      return error(a.tokens[j].pos,
                   "unexpected \"" + a.tokens[j].text + "\" in command");
    for (const auto& v : p->decl)
      vars.push_back(v);
    return p;
  }

  // Nodes up to `{{end}}`, `{{else ...}}` or the end; `stop` is the piece
  // that ended the list (nullptr at the end of the template).
  result<std::vector<node>> parse_list(const piece*& stop) {
    std::vector<node> out;
    stop = nullptr;
    // Each iteration consumes at least one piece: bounded by the template.
    while (i < pieces.size()) {
      const auto& p = pieces[i++];
      if (!p.action) {
        if (!p.text.empty())
          out.push_back(node{node::kind::text, p.text, {}, {}, {}});
        continue;
      }
      auto kw = p.tokens.empty() || p.tokens[0].k != tk::ident
                  ? std::string{}
                  : p.tokens[0].text;
      if (kw == "end" || kw == "else") {
        stop = &p;
        return out;
      }
      auto n = parse_node(p, kw);
      if (!n)
        return n.error();
      out.push_back(std::move(*n));
    }
    return out;
  }

  result<node> parse_node(const piece& p, const std::string& kw) {
    if (kw == "if" || kw == "range" || kw == "with")
      return parse_control(p, 1, kw);
    if (kw == "define" || kw == "template" || kw == "block" || kw == "break"
        || kw == "continue")
      return error(p.pos, "{{" + kw + "}} is not supported by --format");
    auto scope = vars.size();
    auto pipe = action_pipeline(p, 0);
    if (!pipe)
      return pipe.error();
    // A top-level `$x := ...` stays in scope to the template's end (Go).
    if (scope == 1)
      scope = vars.size();
    vars.resize(scope);
    node n;
    n.k = node::kind::action;
    n.pipe = std::move(*pipe);
    return n;
  }

  // `{{if|range|with PIPELINE}}` at p.tokens[from - 1], through its end.
  result<node> parse_control(const piece& p, size_t from,
                             const std::string& kw) {
    auto scope = vars.size();
    node n;
    n.k = kw == "if"      ? node::kind::if_
          : kw == "range" ? node::kind::range
                          : node::kind::with;
    auto pipe = action_pipeline(p, from);
    if (!pipe)
      return pipe.error();
    n.pipe = std::move(*pipe);
    const piece* stop = nullptr;
    auto body = parse_list(stop);
    if (!body)
      return body.error();
    n.list = std::move(*body);
    if (stop == nullptr)
      return error(src.size(), "unexpected EOF");
    if (stop->tokens[0].text == "else") {
      vars.resize(scope);
      if (stop->tokens.size() > 1) {
        // `{{else if X}}`: a chained node that ends at the same {{end}}.
        const auto& next = stop->tokens[1];
        if (next.k != tk::ident || (next.text != "if" && next.text != "with"))
          return error(next.pos, "unexpected \"" + next.text + "\" in else");
        auto chained = parse_control(*stop, 2, next.text);
        if (!chained)
          return chained.error();
        n.else_list.push_back(std::move(*chained));
        vars.resize(scope);
        return n;
      }
      auto alt = parse_list(stop);
      if (!alt)
        return alt.error();
      n.else_list = std::move(*alt);
      if (stop == nullptr)
        return error(src.size(), "unexpected EOF");
      if (stop->tokens[0].text != "end")
        return error(stop->pos, "expected end; found {{else}}");
    }
    if (stop->tokens.size() > 1)
      return error(stop->tokens[1].pos,
                   "unexpected \"" + stop->tokens[1].text + "\" in end");
    vars.resize(scope);
    return n;
  }
};

} // namespace

} // namespace tmpl

result<parsed_template> parse_template(const std::string& src) {
  auto with_prefix = [](const failure& f) {
    return fail(f.code, "template parsing error: " + f.message);
  };
  auto pieces = tmpl::lex_template(src);
  if (!pieces)
    return with_prefix(pieces.error());
  tmpl::parser p{src, *pieces};
  const tmpl::piece* stop = nullptr;
  auto nodes = p.parse_list(stop);
  if (!nodes)
    return with_prefix(nodes.error());
  if (stop != nullptr)
    return with_prefix(p.error(stop->pos,
                               "unexpected {{" + stop->tokens[0].text + "}}"));
  return parsed_template{
    std::make_shared<const std::vector<tmpl::node>>(std::move(*nodes))};
}

} // namespace actorswarm::cli::output
