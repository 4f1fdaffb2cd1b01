from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'spec.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    l_0_show_findings = l_0_history = missing
    pass
    parent_template = environment.get_template('base.html.j2', 'spec.html.j2')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    included_template = environment.get_template('macros.html.j2', 'spec.html.j2')._get_default_module(context)
    l_0_show_findings = getattr(included_template, 'findings', missing)
    if l_0_show_findings is missing:
        l_0_show_findings = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'spec.html.j2') does not export the requested name 'findings'", name='findings')
    l_0_history = getattr(included_template, 'history', missing)
    if l_0_history is missing:
        l_0_history = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'spec.html.j2') does not export the requested name 'history'", name='history')
    context.vars.update({'show_findings': l_0_show_findings, 'history': l_0_history})
    context.exported_vars.difference_update(('show_findings', 'history'))
    yield from parent_template.root_render_func(context)

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_spec = resolve('spec')
    l_0_requirements = resolve('requirements')
    l_0_findings = resolve('findings')
    l_0_show_findings = resolve('show_findings')
    l_0_proposed = resolve('proposed')
    l_0_head = resolve('head')
    l_0_preamble = resolve('preamble')
    l_0_tail = resolve('tail')
    l_0_removed = resolve('removed')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    pass
    yield '<h1>'
    yield escape(environment.getattr((undefined(name='spec') if l_0_spec is missing else l_0_spec), 'title'))
    yield '</h1>\n<p class="meta">Capability <code>'
    yield escape(environment.getattr((undefined(name='spec') if l_0_spec is missing else l_0_spec), 'id'))
    yield '</code> · <code>'
    yield escape(environment.getattr((undefined(name='spec') if l_0_spec is missing else l_0_spec), 'rel'))
    yield '</code> · '
    yield escape(t_1((undefined(name='requirements') if l_0_requirements is missing else l_0_requirements)))
    yield ' requirement'
    yield escape(('s' if (t_1((undefined(name='requirements') if l_0_requirements is missing else l_0_requirements)) != 1) else cond_expr_undefined("the inline if-expression on line 5 in 'spec.html.j2' evaluated to false and no else section was defined.")))
    yield '</p>\n'
    if environment.getattr((undefined(name='spec') if l_0_spec is missing else l_0_spec), 'withheld'):
        pass
        yield '<p class="refusal"><strong>Not shown:</strong> <code>'
        yield escape(environment.getattr((undefined(name='spec') if l_0_spec is missing else l_0_spec), 'rel'))
        yield "</code> links to a file outside the repository, and the site shows only the repository's own files.</p>\n"
    if (undefined(name='findings') if l_0_findings is missing else l_0_findings):
        pass
        yield '<section id="findings">\n<h2>Findings</h2>\n'
        yield escape(context.call((undefined(name='show_findings') if l_0_show_findings is missing else l_0_show_findings), (undefined(name='findings') if l_0_findings is missing else l_0_findings), _block_vars=_block_vars))
        yield '\n</section>\n'
    if (undefined(name='proposed') if l_0_proposed is missing else l_0_proposed):
        pass
        yield '<aside class="pending-box" id="open-changes">\n<h2>Open changes touching this spec</h2>\n<ul>\n'
        l_1_loop = missing
        for l_1_p, l_1_loop in LoopContext((undefined(name='proposed') if l_0_proposed is missing else l_0_proposed), undefined):
            _loop_vars = {}
            pass
            yield '<li><a href="'
            yield escape(environment.getattr(l_1_p, 'href'))
            yield '">'
            yield escape(environment.getattr(l_1_p, 'change'))
            yield '</a> (<a href="'
            yield escape(environment.getattr(l_1_p, 'redline'))
            yield '">redline</a>)'
            if environment.getattr(l_1_p, 'added'):
                pass
                yield ': would add '
                l_2_loop = missing
                for l_2_n, l_2_loop in LoopContext(environment.getattr(l_1_p, 'added'), undefined):
                    _loop_vars = {}
                    pass
                    yield '&ldquo;'
                    yield escape(l_2_n)
                    yield '&rdquo;'
                    if (not environment.getattr(l_2_loop, 'last')):
                        pass
                        yield ', '
                l_2_loop = l_2_n = missing
            yield '</li>\n'
        l_1_loop = l_1_p = missing
        yield '</ul>\n</aside>\n'
    if (undefined(name='head') if l_0_head is missing else l_0_head):
        pass
        yield '<div class="md spec-head">'
        yield escape((undefined(name='head') if l_0_head is missing else l_0_head))
        yield '</div>\n'
    yield '<section id="requirements">\n<h2>Requirements</h2>\n'
    if (undefined(name='preamble') if l_0_preamble is missing else l_0_preamble):
        pass
        yield '<div class="md spec-preamble">'
        yield escape((undefined(name='preamble') if l_0_preamble is missing else l_0_preamble))
        yield '</div>\n'
    l_1_loop = missing
    t_2 = 1
    for l_1_r, l_1_loop in LoopContext((undefined(name='requirements') if l_0_requirements is missing else l_0_requirements), undefined):
        l_1_history = resolve('history')
        _loop_vars = {}
        pass
        yield '<article class="requirement" id="'
        yield escape(environment.getattr(l_1_r, 'anchor'))
        yield '">\n<h3><a class="self" href="#'
        yield escape(environment.getattr(l_1_r, 'anchor'))
        yield '">Requirement: '
        yield escape(environment.getattr(l_1_r, 'name'))
        yield '</a></h3>\n'
        if environment.getattr(l_1_r, 'pending'):
            pass
            yield '<p class="pending">'
            l_2_loop = missing
            for l_2_p, l_2_loop in LoopContext(environment.getattr(l_1_r, 'pending'), undefined):
                _loop_vars = {}
                pass
                yield '<span class="kind kind-'
                yield escape(environment.getattr(l_2_p, 'kind'))
                yield '">'
                yield escape(environment.getattr(l_2_p, 'label'))
                yield '</span> by open change <a href="'
                yield escape(environment.getattr(l_2_p, 'href'))
                yield '">'
                yield escape(environment.getattr(l_2_p, 'change'))
                yield '</a>'
                if environment.getattr(l_2_p, 'detail'):
                    pass
                    yield ' '
                    yield escape(environment.getattr(l_2_p, 'detail'))
                if (not environment.getattr(l_2_loop, 'last')):
                    pass
                    yield '; '
            l_2_loop = l_2_p = missing
            yield '</p>\n'
        yield '<div class="md">'
        yield escape(environment.getattr(l_1_r, 'body'))
        yield '</div>\n<details class="history-box"'
        if environment.getattr(l_1_r, 'history'):
            pass
            yield ' open'
        yield '>\n<summary>History</summary>\n'
        if environment.getattr(l_1_r, 'elsewhere'):
            pass
            yield '<p class="muted history-elsewhere">'
            if environment.getattr(environment.getattr(l_1_r, 'elsewhere'), 'pending'):
                pass
                yield 'Its history and the open changes that would touch it are'
            else:
                pass
                yield 'Its history is'
            yield ' listed under <a href="#'
            yield escape(environment.getattr(environment.getattr(l_1_r, 'elsewhere'), 'anchor'))
            yield '">the first requirement of this name</a>.</p>\n'
        else:
            pass
            yield escape(context.call((undefined(name='history') if l_1_history is missing else l_1_history), environment.getattr(l_1_r, 'history'), _loop_vars=_loop_vars))
            yield '\n'
        yield '</details>\n</article>\n'
        t_2 = 0
    l_1_loop = l_1_r = l_1_history = missing
    if t_2:
        pass
        yield '<p class="muted">This spec has no requirement blocks.</p>\n'
    yield '</section>\n'
    if (undefined(name='tail') if l_0_tail is missing else l_0_tail):
        pass
        yield '<div class="md spec-tail">'
        yield escape((undefined(name='tail') if l_0_tail is missing else l_0_tail))
        yield '</div>\n'
    if (undefined(name='removed') if l_0_removed is missing else l_0_removed):
        pass
        yield '<section id="removed">\n<h2>Removed requirements</h2>\n'
        for l_1_r in (undefined(name='removed') if l_0_removed is missing else l_0_removed):
            l_1_history = resolve('history')
            _loop_vars = {}
            pass
            yield '<article class="requirement removed">\n<h3><del>Requirement: '
            yield escape(environment.getattr(l_1_r, 'name'))
            yield '</del></h3>\n'
            yield escape(context.call((undefined(name='history') if l_1_history is missing else l_1_history), environment.getattr(l_1_r, 'history'), _loop_vars=_loop_vars))
            yield '\n</article>\n'
        l_1_r = l_1_history = missing
        yield '</section>\n'

blocks = {'main': block_main}
debug_info = '1=13&2=16&3=27&4=51&5=53&6=61&7=64&9=66&12=69&15=71&19=75&20=79&25=102&26=105&30=108&31=111&33=115&34=120&35=122&36=126&37=130&39=152&40=154&42=158&43=161&45=172&53=181&54=184&56=186&59=189&61=194&62=196'