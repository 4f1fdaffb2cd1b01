from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'macros.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_status = l_0_progress = l_0_findings = l_0_history = l_0_spec_links = missing
    pass
    def macro(l_1_s):
        t_1 = []
        if l_1_s is missing:
            l_1_s = undefined("parameter 's' was not provided", name='s')
        pass
        t_1.extend((
            '<span class="status status-',
            escape(environment.getattr(l_1_s, 'css')),
            '">',
            escape(environment.getattr(l_1_s, 'text')),
            '</span>',
        ))
        return concat(t_1)
    context.exported_vars.add('status')
    context.vars['status'] = l_0_status = Macro(environment, macro, 'status', ('s',), False, False, False, context.eval_ctx.autoescape)
    yield '\n'
    def macro(l_1_done, l_1_total):
        t_2 = []
        if l_1_done is missing:
            l_1_done = undefined("parameter 'done' was not provided", name='done')
        if l_1_total is missing:
            l_1_total = undefined("parameter 'total' was not provided", name='total')
        pass
        if l_1_total:
            pass
            t_2.extend((
                '<span class="progress"><progress max="',
                escape(l_1_total),
                '" value="',
                escape(l_1_done),
                '"></progress> ',
                escape(l_1_done),
                '/',
                escape(l_1_total),
                ' tasks</span>',
            ))
        else:
            pass
            t_2.append(
                '<span class="progress muted">no tasks</span>',
            )
        return concat(t_2)
    context.exported_vars.add('progress')
    context.vars['progress'] = l_0_progress = Macro(environment, macro, 'progress', ('done', 'total'), False, False, False, context.eval_ctx.autoescape)
    yield '\n'
    def macro(l_1_items):
        t_3 = []
        if l_1_items is missing:
            l_1_items = undefined("parameter 'items' was not provided", name='items')
        pass
        if l_1_items:
            pass
            t_3.append(
                '<ul class="findings">\n',
            )
            for l_2_f in l_1_items:
                _loop_vars = {}
                pass
                t_3.extend((
                    '<li class="finding finding-',
                    escape(environment.getattr(l_2_f, 'level')),
                    '"><span class="level">',
                    escape(environment.getattr(l_2_f, 'label')),
                    '</span> <code>',
                    escape(environment.getattr(l_2_f, 'code')),
                    '</code> <span class="where">',
                    escape(environment.getattr(l_2_f, 'where')),
                    '</span>: ',
                    escape(environment.getattr(l_2_f, 'message')),
                    '</li>\n',
                ))
            l_2_f = missing
            t_3.append(
                '</ul>\n',
            )
        else:
            pass
            t_3.append(
                '<p class="muted">No findings.</p>\n',
            )
        return concat(t_3)
    context.exported_vars.add('findings')
    context.vars['findings'] = l_0_findings = Macro(environment, macro, 'findings', ('items',), False, False, False, context.eval_ctx.autoescape)
    yield '\n'
    def macro(l_1_events):
        t_4 = []
        if l_1_events is missing:
            l_1_events = undefined("parameter 'events' was not provided", name='events')
        pass
        if l_1_events:
            pass
            t_4.append(
                '<ol class="history">\n',
            )
            for l_2_e in l_1_events:
                _loop_vars = {}
                pass
                t_4.extend((
                    '<li><span class="kind kind-',
                    escape(environment.getattr(l_2_e, 'kind')),
                    '">',
                    escape(environment.getattr(l_2_e, 'label')),
                    '</span> ',
                    escape(environment.getattr(l_2_e, 'date')),
                    ' by <a href="',
                    escape(environment.getattr(l_2_e, 'href')),
                    '">',
                    escape(environment.getattr(l_2_e, 'archive')),
                    '</a>',
                ))
                if environment.getattr(l_2_e, 'detail'):
                    pass
                    t_4.extend((
                        ' ',
                        escape(environment.getattr(l_2_e, 'detail')),
                    ))
                t_4.append(
                    '</li>\n',
                )
            l_2_e = missing
            t_4.append(
                '</ol>\n',
            )
        else:
            pass
            t_4.append(
                '<p class="muted history-none">No archived change records this requirement.</p>\n',
            )
        return concat(t_4)
    context.exported_vars.add('history')
    context.vars['history'] = l_0_history = Macro(environment, macro, 'history', ('events',), False, False, False, context.eval_ctx.autoescape)
    yield '\n'
    def macro(l_1_items):
        t_5 = []
        if l_1_items is missing:
            l_1_items = undefined("parameter 'items' was not provided", name='items')
        pass
        l_2_loop = missing
        for l_2_s, l_2_loop in LoopContext(l_1_items, undefined):
            _loop_vars = {}
            pass
            if environment.getattr(l_2_s, 'href'):
                pass
                t_5.extend((
                    '<a href="',
                    escape(environment.getattr(l_2_s, 'href')),
                    '">',
                    escape(environment.getattr(l_2_s, 'id')),
                    '</a>',
                ))
            else:
                pass
                t_5.extend((
                    '<span title="new capability">',
                    escape(environment.getattr(l_2_s, 'id')),
                    ' (new)</span>',
                ))
            if (not environment.getattr(l_2_loop, 'last')):
                pass
                t_5.append(
                    ', ',
                )
        l_2_loop = l_2_s = missing
        return concat(t_5)
    context.exported_vars.add('spec_links')
    context.vars['spec_links'] = l_0_spec_links = Macro(environment, macro, 'spec_links', ('items',), False, False, False, context.eval_ctx.autoescape)

blocks = {}
debug_info = '1=12&3=28&4=35&7=57&8=62&10=67&11=72&19=96&20=101&22=106&23=111&31=144&32=150'