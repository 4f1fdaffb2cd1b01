from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'index.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    l_0_status = l_0_progress = l_0_spec_links = missing
    pass
    parent_template = environment.get_template('base.html.j2', 'index.html.j2')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    included_template = environment.get_template('macros.html.j2', 'index.html.j2')._get_default_module(context)
    l_0_status = getattr(included_template, 'status', missing)
    if l_0_status is missing:
        l_0_status = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'index.html.j2') does not export the requested name 'status'", name='status')
    l_0_progress = getattr(included_template, 'progress', missing)
    if l_0_progress is missing:
        l_0_progress = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'index.html.j2') does not export the requested name 'progress'", name='progress')
    l_0_spec_links = getattr(included_template, 'spec_links', missing)
    if l_0_spec_links is missing:
        l_0_spec_links = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'index.html.j2') does not export the requested name 'spec_links'", name='spec_links')
    context.vars.update({'status': l_0_status, 'progress': l_0_progress, 'spec_links': l_0_spec_links})
    context.exported_vars.difference_update(('status', 'progress', 'spec_links'))
    yield from parent_template.root_render_func(context)

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site_name = resolve('site_name')
    l_0_specs = resolve('specs')
    l_0_changes = resolve('changes')
    l_0_archived = resolve('archived')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    pass
    yield '<h1>'
    yield escape((undefined(name='site_name') if l_0_site_name is missing else l_0_site_name))
    yield '</h1>\n<p class="filter-box" hidden><label for="filter">Filter</label> <input id="filter" type="search" placeholder="name, title or capability"> <output id="filter-status" for="filter" aria-live="polite"></output></p>\n\n<section id="specs">\n<h2>Capabilities ('
    yield escape(t_1((undefined(name='specs') if l_0_specs is missing else l_0_specs)))
    yield ')</h2>\n'
    if (undefined(name='specs') if l_0_specs is missing else l_0_specs):
        pass
        yield '<div class="scroll"><table class="listing">\n<thead><tr><th>Capability</th><th>Title</th><th class="num">Requirements</th><th>Validation</th></tr></thead>\n<tbody>\n'
        for l_1_s in (undefined(name='specs') if l_0_specs is missing else l_0_specs):
            l_1_status = resolve('status')
            _loop_vars = {}
            pass
            yield '<tr class="filterable" data-filter="'
            yield escape(environment.getattr(l_1_s, 'id'))
            yield ' '
            yield escape(environment.getattr(l_1_s, 'title'))
            yield '"><td><a href="'
            yield escape(environment.getattr(l_1_s, 'href'))
            yield '">'
            yield escape(environment.getattr(l_1_s, 'id'))
            yield '</a></td><td>'
            yield escape(environment.getattr(l_1_s, 'title'))
            yield '</td><td class="num">'
            yield escape(environment.getattr(l_1_s, 'count'))
            yield '</td><td>'
            yield escape(context.call((undefined(name='status') if l_1_status is missing else l_1_status), environment.getattr(l_1_s, 'status'), _loop_vars=_loop_vars))
            yield '</td></tr>\n'
        l_1_s = l_1_status = missing
        yield '</tbody>\n</table></div>\n'
    else:
        pass
        yield '<p class="muted">No specs yet.</p>\n'
    yield '</section>\n\n<section id="changes">\n<h2>Open changes ('
    yield escape(t_1((undefined(name='changes') if l_0_changes is missing else l_0_changes)))
    yield ')</h2>\n'
    if (undefined(name='changes') if l_0_changes is missing else l_0_changes):
        pass
        yield '<div class="scroll"><table class="listing">\n<thead><tr><th>Change</th><th>Tasks</th><th>Validation</th><th>Touches</th></tr></thead>\n<tbody>\n'
        for l_1_c in (undefined(name='changes') if l_0_changes is missing else l_0_changes):
            l_1_progress = resolve('progress')
            l_1_status = resolve('status')
            l_1_spec_links = resolve('spec_links')
            _loop_vars = {}
            pass
            yield '<tr class="filterable" data-filter="'
            yield escape(environment.getattr(l_1_c, 'name'))
            yield ' '
            yield escape(environment.getattr(l_1_c, 'title'))
            for l_2_t in environment.getattr(l_1_c, 'touched'):
                _loop_vars = {}
                pass
                yield ' '
                yield escape(environment.getattr(l_2_t, 'id'))
            l_2_t = missing
            yield '"><td><a href="'
            yield escape(environment.getattr(l_1_c, 'href'))
            yield '">'
            yield escape(environment.getattr(l_1_c, 'name'))
            yield '</a><div class="sub">'
            yield escape(environment.getattr(l_1_c, 'title'))
            yield '</div></td><td>'
            yield escape(context.call((undefined(name='progress') if l_1_progress is missing else l_1_progress), environment.getattr(l_1_c, 'done'), environment.getattr(l_1_c, 'total'), _loop_vars=_loop_vars))
            yield '</td><td>'
            yield escape(context.call((undefined(name='status') if l_1_status is missing else l_1_status), environment.getattr(l_1_c, 'status'), _loop_vars=_loop_vars))
            yield '</td><td>'
            yield escape(context.call((undefined(name='spec_links') if l_1_spec_links is missing else l_1_spec_links), environment.getattr(l_1_c, 'touched'), _loop_vars=_loop_vars))
            yield '</td></tr>\n'
        l_1_c = l_1_progress = l_1_status = l_1_spec_links = missing
        yield '</tbody>\n</table></div>\n'
    else:
        pass
        yield '<p class="muted">No open changes.</p>\n'
    yield '</section>\n\n<section id="archived">\n<h2>Archived changes ('
    yield escape(t_1((undefined(name='archived') if l_0_archived is missing else l_0_archived)))
    yield ')</h2>\n'
    if (undefined(name='archived') if l_0_archived is missing else l_0_archived):
        pass
        yield '<div class="scroll"><table class="listing">\n<thead><tr><th>Date</th><th>Change</th><th>Touched</th></tr></thead>\n<tbody>\n'
        for l_1_a in (undefined(name='archived') if l_0_archived is missing else l_0_archived):
            l_1_spec_links = resolve('spec_links')
            _loop_vars = {}
            pass
            yield '<tr class="filterable" data-filter="'
            yield escape(environment.getattr(l_1_a, 'folder'))
            yield ' '
            yield escape(environment.getattr(l_1_a, 'title'))
            for l_2_t in environment.getattr(l_1_a, 'touched'):
                _loop_vars = {}
                pass
                yield ' '
                yield escape(environment.getattr(l_2_t, 'id'))
            l_2_t = missing
            yield '"><td>'
            yield escape(environment.getattr(l_1_a, 'date'))
            yield '</td><td><a href="'
            yield escape(environment.getattr(l_1_a, 'href'))
            yield '">'
            yield escape(environment.getattr(l_1_a, 'folder'))
            yield '</a><div class="sub">'
            yield escape(environment.getattr(l_1_a, 'title'))
            yield '</div></td><td>'
            yield escape(context.call((undefined(name='spec_links') if l_1_spec_links is missing else l_1_spec_links), environment.getattr(l_1_a, 'touched'), _loop_vars=_loop_vars))
            yield '</td></tr>\n'
        l_1_a = l_1_spec_links = missing
        yield '</tbody>\n</table></div>\n'
    else:
        pass
        yield '<p class="muted">Nothing archived yet.</p>\n'
    yield '</section>\n<script>\n// The only script of the site: a filter over the tables above. Without it every row shows.\n(function () {\n  var box = document.querySelector(".filter-box");\n  var input = document.getElementById("filter");\n  var status = document.getElementById("filter-status");\n  if (!box || !input) { return; }\n  box.hidden = false;\n  var rows = document.querySelectorAll("tr.filterable");\n  function apply() {\n    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);\n    var shown = 0;\n    rows.forEach(function (row) {\n      var text = (row.getAttribute("data-filter") || "").toLowerCase();\n      row.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });\n      if (!row.hidden) { shown += 1; }\n    });\n    if (status) {\n      status.textContent = words.length ? (shown ? shown + " of " + rows.length + " rows match" : "nothing matches") : "";\n    }\n  }\n  input.addEventListener("input", apply);\n  // a browser may restore the typed text when the reader comes back to the page: filter again\n  window.addEventListener("pageshow", apply);\n  apply();\n})();\n</script>\n'

blocks = {'main': block_main}
debug_info = '1=13&2=16&3=30&4=49&8=51&9=53&13=56&14=61&24=81&25=83&29=86&30=93&40=121&41=123&45=126&46=131'