from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'change.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    l_0_progress = missing
    pass
    parent_template = environment.get_template('base.html.j2', 'change.html.j2')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    included_template = environment.get_template('macros.html.j2', 'change.html.j2')._get_default_module(context)
    l_0_progress = getattr(included_template, 'progress', missing)
    if l_0_progress is missing:
        l_0_progress = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'change.html.j2') does not export the requested name 'progress'", name='progress')
    context.vars['progress'] = l_0_progress
    context.exported_vars.discard('progress')
    yield from parent_template.root_render_func(context)

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_change = resolve('change')
    l_0_progress = resolve('progress')
    l_0_status_html = resolve('status_html')
    l_0_design = resolve('design')
    l_0_redlines = resolve('redlines')
    l_0_recorded = resolve('recorded')
    l_0_withheld = resolve('withheld')
    l_0_proposal = resolve('proposal')
    l_0_tasks = resolve('tasks')
    l_0_findings_html = resolve('findings_html')
    l_0_plan_problem = resolve('plan_problem')
    l_0_skip_specs = resolve('skip_specs')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_2 = environment.filters['upper']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'upper' found.")
    pass
    yield '<h1>'
    yield escape(environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'title'))
    yield '</h1>\n<p class="meta">'
    if environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'archived'):
        pass
        yield 'Archived change <code>'
        yield escape(environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'name'))
        yield '</code>, '
        yield escape(environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'date'))
    else:
        pass
        yield 'Open change <code>'
        yield escape(environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'name'))
        yield '</code>'
    yield ' · <code>'
    yield escape(environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'rel'))
    yield '</code> · '
    yield escape(context.call((undefined(name='progress') if l_0_progress is missing else l_0_progress), environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'done'), environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'total'), _block_vars=_block_vars))
    if (not environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'archived')):
        pass
        yield ' · '
        yield escape((undefined(name='status_html') if l_0_status_html is missing else l_0_status_html))
    yield '</p>\n<nav class="toc" aria-label="On this page">\n<a href="#proposal">Proposal</a>\n<a href="#tasks">Tasks</a>\n'
    if (undefined(name='design') if l_0_design is missing else l_0_design):
        pass
        yield '<a href="#design">Design</a>'
    yield '<a href="#findings">Findings</a>\n'
    for l_1_r in (undefined(name='redlines') if l_0_redlines is missing else l_0_redlines):
        _loop_vars = {}
        pass
        yield '<a href="#'
        yield escape(environment.getattr(l_1_r, 'anchor'))
        yield '">'
        yield escape(environment.getattr(l_1_r, 'spec_id'))
        yield '</a>'
    l_1_r = missing
    for l_1_r in (undefined(name='recorded') if l_0_recorded is missing else l_0_recorded):
        _loop_vars = {}
        pass
        yield '<a href="#'
        yield escape(environment.getattr(l_1_r, 'anchor'))
        yield '">'
        yield escape(environment.getattr(l_1_r, 'spec_id'))
        yield '</a>'
    l_1_r = missing
    yield '</nav>\n\n'
    if (undefined(name='withheld') if l_0_withheld is missing else l_0_withheld):
        pass
        yield '<p class="refusal"><strong>Not shown:</strong> '
        l_1_loop = missing
        for l_1_w, l_1_loop in LoopContext((undefined(name='withheld') if l_0_withheld is missing else l_0_withheld), undefined):
            _loop_vars = {}
            pass
            yield '<code>'
            yield escape(l_1_w)
            yield '</code>'
            if (not environment.getattr(l_1_loop, 'last')):
                pass
                yield ', '
        l_1_loop = l_1_w = missing
        yield '. '
        yield escape(('It links' if (t_1((undefined(name='withheld') if l_0_withheld is missing else l_0_withheld)) == 1) else 'Each links'))
        yield " to a file outside the repository, and the site shows only the repository's own files.</p>\n"
    yield '<section id="proposal">\n<h2>Proposal</h2>\n'
    if (undefined(name='proposal') if l_0_proposal is missing else l_0_proposal):
        pass
        yield '<div class="md">'
        yield escape((undefined(name='proposal') if l_0_proposal is missing else l_0_proposal))
        yield '</div>'
    else:
        pass
        yield '<p class="muted">No proposal.md, or it could not be read (see Findings).</p>'
    yield '</section>\n\n<section id="tasks">\n<h2>Tasks</h2>\n'
    if (undefined(name='tasks') if l_0_tasks is missing else l_0_tasks):
        pass
        yield '<div class="md tasks">'
        yield escape((undefined(name='tasks') if l_0_tasks is missing else l_0_tasks))
        yield '</div>'
    else:
        pass
        yield '<p class="muted">No tasks.md, or it could not be read (see Findings).</p>'
    yield '</section>\n\n'
    if (undefined(name='design') if l_0_design is missing else l_0_design):
        pass
        yield '<section id="design">\n<h2>Design</h2>\n<div class="md">'
        yield escape((undefined(name='design') if l_0_design is missing else l_0_design))
        yield '</div>\n</section>\n'
    yield '\n<section id="findings">\n<h2>Findings</h2>\n'
    if environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'archived'):
        pass
        yield '<p class="muted">An archived change is not validated against today\'s specs; these are problems reading it.</p>'
    yield escape((undefined(name='findings_html') if l_0_findings_html is missing else l_0_findings_html))
    yield '\n</section>\n\n'
    if (not environment.getattr((undefined(name='change') if l_0_change is missing else l_0_change), 'archived')):
        pass
        yield '<section id="redlines">\n<h2>Redline</h2>\n'
        if (undefined(name='plan_problem') if l_0_plan_problem is missing else l_0_plan_problem):
            pass
            yield '<p class="refusal"><strong>Archive would refuse this change:</strong> '
            yield escape((undefined(name='plan_problem') if l_0_plan_problem is missing else l_0_plan_problem))
            yield '</p>\n'
        elif (undefined(name='skip_specs') if l_0_skip_specs is missing else l_0_skip_specs):
            pass
            yield '<p class="muted">This change declares no spec changes (<code>skip_specs</code>).</p>\n'
        else:
            pass
            yield '<p class="legend">Each spec as archiving this change would leave it: <ins>added text</ins>, <del>removed text</del>; unchanged requirements are folded.</p>\n'
        for l_1_r in (undefined(name='redlines') if l_0_redlines is missing else l_0_redlines):
            _loop_vars = {}
            pass
            yield '<section class="redline" id="'
            yield escape(environment.getattr(l_1_r, 'anchor'))
            yield '">\n<h3>'
            if environment.getattr(l_1_r, 'href'):
                pass
                yield '<a href="'
                yield escape(environment.getattr(l_1_r, 'href'))
                yield '">'
                yield escape(environment.getattr(l_1_r, 'spec_id'))
                yield '</a>'
            else:
                pass
                yield escape(environment.getattr(l_1_r, 'spec_id'))
            yield ' <span class="action action-'
            yield escape(environment.getattr(l_1_r, 'action'))
            yield '">'
            yield escape(environment.getattr(l_1_r, 'action'))
            yield '</span> <span class="counts">'
            yield escape(environment.getattr(l_1_r, 'summary'))
            yield '</span></h3>\n'
            if (environment.getattr(l_1_r, 'head') and environment.getattr(l_1_r, 'head_changed')):
                pass
                yield '<pre class="src head">'
                yield escape(environment.getattr(l_1_r, 'head'))
                yield '</pre>\n'
            elif environment.getattr(l_1_r, 'head'):
                pass
                yield '<details class="block block-unchanged"><summary>Title and Purpose (unchanged)</summary><pre class="src head">'
                yield escape(environment.getattr(l_1_r, 'head'))
                yield '</pre></details>\n'
            if environment.getattr(l_1_r, 'blocks'):
                pass
                yield escape(environment.getattr(l_1_r, 'blocks'))
            if (environment.getattr(l_1_r, 'tail') and environment.getattr(l_1_r, 'tail_changed')):
                pass
                yield '<pre class="src tail">'
                yield escape(environment.getattr(l_1_r, 'tail'))
                yield '</pre>\n'
            elif environment.getattr(l_1_r, 'tail'):
                pass
                yield '<details class="block block-unchanged"><summary>After the requirements (unchanged)</summary><pre class="src tail">'
                yield escape(environment.getattr(l_1_r, 'tail'))
                yield '</pre></details>\n'
            yield '</section>\n'
        l_1_r = missing
        yield '</section>\n'
    else:
        pass
        yield '<section id="recorded">\n<h2>What it changed</h2>\n<p class="legend">The deltas as archived: <ins>added</ins>, <del>removed</del>; a modified requirement is marked against the text the archive recorded before it, when there is one.</p>\n'
        t_3 = 1
        for l_1_r in (undefined(name='recorded') if l_0_recorded is missing else l_0_recorded):
            _loop_vars = {}
            pass
            yield '<section class="redline" id="'
            yield escape(environment.getattr(l_1_r, 'anchor'))
            yield '">\n<h3>'
            if environment.getattr(l_1_r, 'href'):
                pass
                yield '<a href="'
                yield escape(environment.getattr(l_1_r, 'href'))
                yield '">'
                yield escape(environment.getattr(l_1_r, 'spec_id'))
                yield '</a>'
            else:
                pass
                yield escape(environment.getattr(l_1_r, 'spec_id'))
            yield '</h3>\n'
            t_4 = 1
            for l_2_e in environment.getattr(l_1_r, 'entries'):
                _loop_vars = {}
                pass
                yield '<div class="block block-'
                yield escape(environment.getattr(l_2_e, 'kind'))
                yield '" data-kind="'
                yield escape(environment.getattr(l_2_e, 'kind'))
                yield '">\n<p class="block-label"><span class="kind kind-'
                yield escape(environment.getattr(l_2_e, 'kind'))
                yield '">'
                yield escape(t_2(environment.getattr(l_2_e, 'kind')))
                yield '</span>'
                if environment.getattr(l_2_e, 'link'):
                    pass
                    yield ' · <a href="'
                    yield escape(environment.getattr(l_2_e, 'link'))
                    yield '">current text</a>'
                if (not environment.getattr(l_2_e, 'previous_known')):
                    pass
                    yield ' · <span class="muted">earlier text not in the archive</span>'
                yield '</p>\n<pre class="src">'
                yield escape(environment.getattr(l_2_e, 'header'))
                if environment.getattr(l_2_e, 'body'):
                    pass
                    yield '\n'
                    yield escape(environment.getattr(l_2_e, 'body'))
                yield '</pre>\n</div>\n'
                t_4 = 0
            l_2_e = missing
            if t_4:
                pass
                yield '<p class="muted">No requirement entries.</p>\n'
            yield '</section>\n'
            t_3 = 0
        l_1_r = missing
        if t_3:
            pass
            yield '<p class="muted">No delta specs.</p>\n'
        yield '</section>\n'

blocks = {'main': block_main}
debug_info = '1=13&2=16&3=24&4=57&5=59&9=79&11=83&12=92&15=102&16=106&20=120&25=129&28=138&31=141&37=144&38=147&41=149&44=152&45=155&46=157&51=163&52=167&53=169&54=186&55=189&56=191&57=194&60=196&61=199&62=202&63=204&64=207&73=216&74=220&75=222&76=234&77=238&78=242&79=255&81=259'